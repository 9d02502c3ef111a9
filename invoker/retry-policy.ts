/** Exponential backoff between attempts. Durations in milliseconds. */
export interface RetryPolicy {
  /** Delay before the first retry. Default 100 ms. */
  readonly initialIntervalMs: number;
  /** Growth per retry. Default 2. */
  readonly factor: number;
  /** Upper bound of a single delay. Default 10 s. */
  readonly maxIntervalMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  initialIntervalMs: 100,
  factor: 2,
  maxIntervalMs: 10_000,
});

/** Delay before retry number `retry` (1 = first retry). */
export function retryDelay(policy: RetryPolicy, retry: number): number {
  const exp = policy.initialIntervalMs * policy.factor ** Math.max(0, retry - 1);
  return Math.min(policy.maxIntervalMs, exp);
}
