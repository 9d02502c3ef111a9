import { runQuery, sqlString } from "./sql.js";

export interface MinuteCounts {
  /** The minute's start, ms since the epoch. */
  readonly minute: number;
  readonly succeeded: number;
  readonly failed: number;
}

/**
 * Invocations completed per minute, succeeded and failed, over the `minutes` before `now` (one entry a
 * minute, zeros included), with Restate's web UI's statement (`date_bin`, `to_unixtime`). Invocations
 * whose results are no longer retained are not counted.
 */
export async function completionsPerMinute(now: number, minutes: number, signal?: AbortSignal): Promise<MinuteCounts[]> {
  const end = Math.floor(now / 60_000) * 60_000 + 60_000;
  const start = end - minutes * 60_000;
  const rows = await runQuery<{ bucket: number; succeeded: number; failed: number }>(
    `SELECT to_unixtime(date_bin(INTERVAL '60 seconds', completed_at, TIMESTAMP '1970-01-01T00:00:00')) AS bucket,
       COUNT(1) FILTER (WHERE completion_result = 'success') AS succeeded,
       COUNT(1) FILTER (WHERE completion_result = 'failure') AS failed
     FROM sys_invocation_status
     WHERE status = 'completed' AND completed_at >= ${sqlString(new Date(start).toISOString())} AND completed_at < ${sqlString(new Date(end).toISOString())}
     GROUP BY bucket`,
    signal,
  );
  const byMinute = new Map(rows.map((r) => [r.bucket * 1000, r]));
  return Array.from({ length: minutes }, (_, i) => {
    const minute = start + i * 60_000;
    const row = byMinute.get(minute);
    return { minute, succeeded: row?.succeeded ?? 0, failed: row?.failed ?? 0 };
  });
}
