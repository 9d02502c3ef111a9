import type { InvocationOutcome } from "./types.js";

/**
 * Callers waiting for invocations to finish (ingress requests, attach). In memory only: a waiter is a
 * live connection, which does not outlive the process; the outcome itself is durable in the store.
 */
export class CompletionWaiters {
  readonly #waiters = new Map<string, Array<(outcome: InvocationOutcome) => void>>();

  wait(invocationId: string, signal?: AbortSignal): Promise<InvocationOutcome> {
    return new Promise((resolve, reject) => {
      const list = this.#waiters.get(invocationId) ?? [];
      const onAbort = () => {
        this.#remove(invocationId, done);
        reject(signal?.reason ?? new Error("aborted"));
      };
      const done = (outcome: InvocationOutcome) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(outcome);
      };
      list.push(done);
      this.#waiters.set(invocationId, list);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  complete(invocationId: string, outcome: InvocationOutcome): void {
    const list = this.#waiters.get(invocationId);
    if (list === undefined) return;
    this.#waiters.delete(invocationId);
    for (const done of list) done(outcome);
  }

  get size(): number {
    return this.#waiters.size;
  }

  #remove(invocationId: string, fn: (outcome: InvocationOutcome) => void): void {
    const list = this.#waiters.get(invocationId);
    if (list === undefined) return;
    const rest = list.filter((f) => f !== fn);
    if (rest.length === 0) this.#waiters.delete(invocationId);
    else this.#waiters.set(invocationId, rest);
  }
}
