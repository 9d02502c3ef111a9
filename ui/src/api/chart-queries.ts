import { runQuery, sqlString } from "./sql.js";

export interface MinuteCounts {
  /** The minute's start, ms since the epoch. */
  readonly minute: number;
  readonly succeeded: number;
  readonly failed: number;
}

/**
 * Invocations completed per minute, succeeded and failed, over the `minutes` before `now` (one entry a
 * minute, zeros included). Invocations whose results are no longer retained are not counted.
 *
 * Restate's web UI buckets with `to_unixtime(date_bin(INTERVAL '60 seconds', completed_at, …))` and bounds
 * the window on both sides; `date_trunc('minute', …)` and the lower bound alone (nothing completes in the
 * future) read the same rows with fewer function calls a row, which is what a scan of stet's store costs:
 * 0.39 s against 0.61-0.75 s with 100k invocations completed in the window (scripts/ui-demo/ui-load.ts).
 */
export async function completionsPerMinute(now: number, minutes: number, signal?: AbortSignal): Promise<MinuteCounts[]> {
  const end = Math.floor(now / 60_000) * 60_000 + 60_000;
  const start = end - minutes * 60_000;
  const rows = await runQuery<{ minute: string; succeeded: number; failed: number }>(
    `SELECT date_trunc('minute', completed_at) AS minute,
       COUNT(1) FILTER (WHERE completion_result = 'success') AS succeeded,
       COUNT(1) FILTER (WHERE completion_result = 'failure') AS failed
     FROM sys_invocation_status WHERE completed_at >= ${sqlString(new Date(start).toISOString())}
     GROUP BY minute`,
    signal,
  );
  const byMinute = new Map(rows.map((r) => [Date.parse(r.minute), r]));
  return Array.from({ length: minutes }, (_, i) => {
    const minute = start + i * 60_000;
    const row = byMinute.get(minute);
    return { minute, succeeded: row?.succeeded ?? 0, failed: row?.failed ?? 0 };
  });
}
