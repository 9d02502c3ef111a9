/**
 * What the client asks for: request n is a send of Load/work(n) when n is even, else an add of 1 to the
 * object Tally/c<n/2 % ADD_KEYS>. Each Load/work invocation runs one side effect (ctx.run, logged by the
 * service) and adds 1 to Tally/k<n % 10>, so both families of counters have an exact expected value.
 */
export const ADD_KEYS = 8;

export interface ChaosRequest {
  readonly n: number;
  readonly kind: "send" | "add";
  readonly idempotencyKey: string;
  readonly path: string;
  readonly body: string;
}

export function requestFor(n: number): ChaosRequest {
  const idempotencyKey = `chaos-${n}`;
  if (n % 2 === 0) return { n, kind: "send", idempotencyKey, path: "/Load/work/send", body: JSON.stringify(n) };
  return { n, kind: "add", idempotencyKey, path: `/Tally/${addKeyOf(n)}/add`, body: "1" };
}

export const addKeyOf = (n: number): string => `c${Math.floor(n / 2) % ADD_KEYS}`;

/** The Tally key Load/work(n) adds to (test/e2e/fixtures/load-service.mjs). */
export const workKeyOf = (n: number): string => `k${n % 10}`;

/** What the client was answered. */
export interface Ledger {
  /** Requests started. */
  sent: number;
  /** Sends answered 202: request n -> the invocation id. */
  readonly sends: Map<number, string>;
  /** Adds answered 200: request n -> the counter's value after that add. */
  readonly adds: Map<number, number>;
  /** Requests never answered before the client gave up (each may or may not have taken effect). */
  unanswered: number;
  /** Attempts beyond the first of a request: answers lost to a fault and asked for again. */
  resent: number;
}

export const newLedger = (): Ledger => ({ sent: 0, sends: new Map(), adds: new Map(), unanswered: 0, resent: 0 });
