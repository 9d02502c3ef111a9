import { askUntilAnswered, type NodeUrls } from "./ask-nodes.js";
import { sleep } from "./processes.js";
import { newLedger, requestFor, type Ledger } from "./workload.js";

export interface LoadOptions {
  /** The nodes' ingress URLs. */
  readonly ingress: NodeUrls;
  readonly ratePerSec: number;
  /** Epoch ms at which no new request is started. */
  readonly endAt: number;
  /** How long after endAt a request is still asked again before it counts as unanswered, in ms. */
  readonly drainMs: number;
}

/**
 * Starts requests at a steady rate (on a schedule, so that slow answers do not lower it) until endAt,
 * each to a node of its own choosing and asked again on the next node until answered. Resolves with
 * the ledger once every request is answered or given up.
 */
export async function runLoad(options: LoadOptions): Promise<Ledger> {
  const ledger = newLedger();
  const giveUpAt = options.endAt + options.drainMs;
  const pending: Promise<void>[] = [];
  const startedAt = Date.now();
  for (let n = 0; ; n++) {
    const due = startedAt + (n * 1000) / options.ratePerSec;
    if (due >= options.endAt) break;
    await sleep(due - Date.now());
    ledger.sent++;
    const request = requestFor(n);
    pending.push(
      askUntilAnswered(options.ingress, request.path, {
        headers: { "idempotency-key": request.idempotencyKey },
        body: request.body,
        // A send is acknowledged once durable; an add answers once it ran, after the key's queue.
        attemptTimeoutMs: request.kind === "send" ? 5_000 : 15_000,
        giveUpAt,
        firstNode: n,
        onRetry: () => ledger.resent++,
      }).then((answer) => {
        if (answer === undefined) ledger.unanswered++;
        else if (request.kind === "send") ledger.sends.set(n, (answer.body as { invocationId: string }).invocationId);
        else ledger.adds.set(n, answer.body as number);
      }),
    );
  }
  await Promise.all(pending);
  return ledger;
}
