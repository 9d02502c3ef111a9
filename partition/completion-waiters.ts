import type { InvocationOutcome } from "./types.js";

interface Waiter {
  readonly done: (outcome: InvocationOutcome) => void;
  readonly fail: (error: Error) => void;
}

/**
 * Callers waiting for invocations to finish (ingress requests, attach). In memory only: a waiter is a
 * live connection, which does not outlive the process; the outcome itself is durable in the store.
 */
export class CompletionWaiters {
  readonly #waiters = new Map<string, Waiter[]>();

  wait(invocationId: string, signal?: AbortSignal): Promise<InvocationOutcome> {
    return new Promise((resolve, reject) => {
      const list = this.#waiters.get(invocationId) ?? [];
      const onAbort = () => {
        this.#remove(invocationId, waiter);
        reject(signal?.reason ?? new Error("aborted"));
      };
      const settle = () => signal?.removeEventListener("abort", onAbort);
      const waiter: Waiter = {
        done: (outcome) => {
          settle();
          resolve(outcome);
        },
        fail: (error) => {
          settle();
          reject(error);
        },
      };
      list.push(waiter);
      this.#waiters.set(invocationId, list);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  complete(invocationId: string, outcome: InvocationOutcome): void {
    const list = this.#waiters.get(invocationId);
    if (list === undefined) return;
    this.#waiters.delete(invocationId);
    for (const waiter of list) waiter.done(outcome);
  }

  /** Rejects the callers waiting for the invocations `which` picks, each with `error(id)`. */
  fail(which: (invocationId: string) => boolean, error: (invocationId: string) => Error): void {
    for (const [invocationId, list] of this.#waiters) {
      if (!which(invocationId)) continue;
      this.#waiters.delete(invocationId);
      for (const waiter of list) waiter.fail(error(invocationId));
    }
  }

  get size(): number {
    return this.#waiters.size;
  }

  #remove(invocationId: string, waiter: Waiter): void {
    const list = this.#waiters.get(invocationId);
    if (list === undefined) return;
    const rest = list.filter((w) => w !== waiter);
    if (rest.length === 0) this.#waiters.delete(invocationId);
    else this.#waiters.set(invocationId, rest);
  }
}
