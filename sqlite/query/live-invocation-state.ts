import type { Database } from "better-sqlite3";
import type { LiveInvocationState } from "../../invoker/index.js";
import { isoTimestamp } from "../../partition/query/sql-values.js";

/**
 * Replaces the rows of a query connection's `sys_invocation_state` temp table with `states`: the invoker's
 * snapshot, handed to each query (no store keeps it, as Restate keeps it in its invoker's memory).
 */
export function fillInvocationState(db: Database, states: readonly LiveInvocationState[]): void {
  const iso = (ms: number | null): string | null => (ms === null ? null : isoTimestamp(ms));
  const insert = db.prepare(
    `INSERT INTO temp.sys_invocation_state (partition_key, id, in_flight, retry_count, last_start_at, next_retry_at,
       last_attempt_deployment_id, last_attempt_server, last_failure, last_failure_error_code)
     VALUES (stet_partition_key(?), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  db.transaction(() => {
    db.prepare("DELETE FROM temp.sys_invocation_state").run();
    for (const s of states) {
      insert.run(s.id, s.id, s.inFlight ? 1 : 0, s.retryCount, iso(s.lastStartAt), iso(s.nextRetryAt), s.lastAttemptDeploymentId, s.lastAttemptServer, s.lastFailure, s.lastFailureErrorCode);
    }
  })();
}
