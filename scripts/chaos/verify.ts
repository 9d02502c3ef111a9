import { askUntilAnswered, type NodeUrls } from "./ask-nodes.js";
import type { SideEffects } from "./side-effect-log.js";
import { addKeyOf, workKeyOf, type Ledger } from "./workload.js";

export interface Verdict {
  /** Requests answered: sends accepted (202) and adds answered (200). */
  readonly accepted: number;
  /** Accepted sends whose invocation completed, plus answered adds (an add answers once it ran). */
  readonly completed: number;
  /** Accepted sends whose invocation did not complete: must be 0. */
  readonly lost: number;
  /**
   * Side effects observed more than once: invocations whose handler went on with two different results
   * of its one run, or whose output is not the result it observed. Must be 0.
   */
  readonly duplicates: number;
  /**
   * Invocations that ran although no answered request names them: a request the client gave up on
   * (see unanswered), else an idempotency key that started a second invocation. Must be 0 when every
   * request was answered.
   */
  readonly unacceptedRuns: number;
  /** Run bodies executed again because their attempt died before the result was stored (allowed). */
  readonly reExecutedRuns: number;
  /**
   * Every Tally counter equals the number of answered adds to it (and those answers are 1..n, each
   * once), and every Tally/k<i> equals the number of accepted Load/work(n) with n % 10 = i. Requests the
   * client gave up on may have counted too: exact only means something when none was.
   */
  readonly countersExact: boolean;
  /** Lost invocations by their status in the admin API ("unknown" when no node could tell), to start a diagnosis. */
  readonly lostByStatus: Readonly<Record<string, number>>;
  /** The admin API's view of one lost invocation (GET /invocations/{id}), when a node gave one. */
  readonly lostSample: unknown;
  /** The counters that were not as expected: key -> [expected, found]. */
  readonly counterMismatches: Readonly<Record<string, readonly [number, number | undefined]>>;
}

export interface VerifyOptions {
  readonly ingress: NodeUrls;
  readonly admin: NodeUrls;
  readonly ledger: Ledger;
  /** Read after every invocation completed. */
  readonly sideEffects: () => SideEffects;
  /** How long the invocations may take to complete after the load ended, in ms. */
  readonly timeoutMs: number;
}

/** Waits for every accepted invocation to complete (attach), then checks side effects and counters. */
export async function verify(options: VerifyOptions): Promise<Verdict> {
  const { ledger, ingress } = options;
  const giveUpAt = Date.now() + options.timeoutMs;
  const outputs = new Map<string, unknown>();
  await inBatches([...ledger.sends.values()], 32, async (id, i) => {
    const answer = await askUntilAnswered(ingress, `/restate/invocation/${id}/attach`, { method: "GET", attemptTimeoutMs: 30_000, giveUpAt, firstNode: i });
    if (answer !== undefined) outputs.set(id, answer.body);
  });

  const { runs, observed } = options.sideEffects();
  const accepted = new Set(ledger.sends.values());
  let duplicates = 0;
  const unacceptedRuns = [...runs.keys()].filter((id) => !accepted.has(id)).length;
  for (const [id, output] of outputs) {
    const seen = observed.get(id);
    if (seen === undefined || seen.size !== 1 || !seen.has(output as string)) duplicates++;
  }
  const reExecutedRuns = [...runs.values()].reduce((sum, n) => sum + n - 1, 0);

  const expected = new Map<string, number>();
  const addAnswers = new Map<string, number[]>();
  for (const [n, value] of ledger.adds) {
    expected.set(addKeyOf(n), (expected.get(addKeyOf(n)) ?? 0) + 1);
    addAnswers.set(addKeyOf(n), [...(addAnswers.get(addKeyOf(n)) ?? []), value]);
  }
  for (const n of ledger.sends.keys()) expected.set(workKeyOf(n), (expected.get(workKeyOf(n)) ?? 0) + 1);
  const counterMismatches: Record<string, readonly [number, number | undefined]> = {};
  await inBatches([...expected], 8, async ([key, want], i) => {
    const answer = await askUntilAnswered(ingress, `/Tally/${key}/get`, { body: "null", attemptTimeoutMs: 15_000, giveUpAt: Math.max(giveUpAt, Date.now() + 30_000), firstNode: i });
    const found = answer?.body as number | undefined;
    // Each add answered the count after it: n adds counted once each answered 1..n, each once.
    const answers = (addAnswers.get(key) ?? []).sort((a, b) => a - b);
    const answersExact = answers.every((value, j) => value === j + 1);
    if (found !== want || !answersExact) counterMismatches[key] = [want, found];
  });

  const lostByStatus: Record<string, number> = {};
  let lostSample: unknown;
  const lost = [...ledger.sends.values()].filter((id) => !outputs.has(id));
  await inBatches(lost, 8, async (id, i) => {
    const answer = await askUntilAnswered(options.admin, `/invocations/${id}`, { method: "GET", attemptTimeoutMs: 5_000, giveUpAt: Date.now() + 10_000, firstNode: i });
    const status = (answer?.body as { status?: string } | undefined)?.status ?? "unknown";
    lostSample ??= answer?.body;
    lostByStatus[status] = (lostByStatus[status] ?? 0) + 1;
  });

  const acceptedCount = ledger.sends.size + ledger.adds.size;
  return {
    accepted: acceptedCount,
    completed: outputs.size + ledger.adds.size,
    lost: lost.length,
    lostByStatus,
    lostSample,
    duplicates,
    unacceptedRuns,
    reExecutedRuns,
    countersExact: Object.keys(counterMismatches).length === 0,
    counterMismatches,
  };
}

/** Runs `work` over `items`, at most `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await work(items[i]!, i);
    }),
  );
}
