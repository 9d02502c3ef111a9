import type { Database } from "better-sqlite3";
import { isoTimestamp } from "./sql-values.js";

/**
 * What the invoker knows of an invocation it holds right now: one row of `sys_invocation_state`. The
 * store keeps none of it (it is Restate's in-memory invoker state too), so the engine hands a snapshot
 * to each query. Times are ms since the epoch.
 */
export interface LiveInvocationState {
  readonly id: string;
  /** An attempt is running now (not waiting in backoff). */
  readonly inFlight: boolean;
  readonly retryCount: number;
  readonly lastStartAt: number | null;
  readonly nextRetryAt: number | null;
  readonly lastAttemptDeploymentId: string | null;
  /** The SDK of the last attempt's deployment, as it names itself (`restate-sdk-typescript/1.x`). */
  readonly lastAttemptServer: string | null;
  readonly lastFailure: string | null;
  /** The failure's code as text (`500`, `STET_…`), as Restate reports `last_failure_error_code`. */
  readonly lastFailureErrorCode: string | null;
}

/** Replaces the rows of a query connection's `sys_invocation_state` temp table with `states`. */
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
