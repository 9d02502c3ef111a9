import { normalizeJournalRows } from "../differential/journal-facts.js";

/**
 * The statements the official CLI and the web UI send (shared/reference/restate-1.7-query-and-admin.md),
 * over the invocations of query-stores.test.ts's scenario, with what else the two stores' dialects must
 * agree on; and how their answers are compared: what differs between two runs (ids, times) as
 * placeholders.
 */

export interface Statement {
  readonly sql: string | ((ctx: { deployment: string }) => string);
  /** Rows compared in their order (the statement orders them by what is the same on both nodes). */
  readonly ordered?: boolean;
  /** The statement reads the invoker's live state, which only the node running the invocation has. */
  readonly live?: boolean;
}

const day = "2000-01-01T00:00:00Z";
export const STATEMENTS: readonly Statement[] = [
  // The CLI: invocations list and describe, services status, kv, deployments, cancel's filter.
  { sql: "SELECT id FROM sys_invocation inv WHERE status != 'completed' ORDER BY inv.created_at DESC, inv.id LIMIT 100" },
  {
    sql: `SELECT inv.id, inv.target, inv.status, inv.created_at, inv.retry_count as num_retries, dp.id IS NOT NULL as pinned_deployment_exists
      FROM sys_invocation inv LEFT JOIN sys_deployment dp ON dp.id = inv.pinned_deployment_id WHERE status != 'completed' ORDER BY inv.target`,
    live: true,
  },
  { sql: "SELECT COUNT(1) FROM (SELECT * FROM sys_invocation inv LIMIT 50000) WHERE inv.target_service_name IN ('JournalGreeter') AND status != 'completed'" },
  {
    sql: `SELECT target_service_name, target_handler_name, 'pending' as status, COUNT(1) as num_invocations, MIN(created_at) as oldest_at,
      FIRST_VALUE(id ORDER BY created_at ASC) as oldest_invocation FROM sys_invocation_status WHERE status == 'inboxed'
      AND target_service_name IN ('DiffLocker', 'JournalGreeter') GROUP BY target_service_name, target_handler_name`,
  },
  {
    sql: `SELECT target_service_name, target_handler_name, status, COUNT(1) as num_invocations, MIN(created_at) as oldest_at,
      FIRST_VALUE(id ORDER BY created_at ASC) as oldest_invocation FROM sys_invocation
      WHERE target_service_name IN ('DiffLocker', 'Stubborn', 'JournalGreeter') GROUP BY target_service_name, target_handler_name, status
      ORDER BY target_handler_name, status`,
    ordered: true,
    live: true,
  },
  { sql: "SELECT service_name, service_key, COUNT(1) as num_pending FROM sys_inbox WHERE service_name IN ('DiffLocker') GROUP BY service_name, service_key ORDER BY num_pending DESC", ordered: true },
  {
    sql: `SELECT target_service_name as service_name, target_service_key as service_key, status as invocation_status,
      first_value(id) as invocation_holding_lock, first_value(target_handler_name) as invocation_method_holding_lock,
      first_value(created_at) as invocation_created_at, first_value(pinned_deployment_id) as pinned_deployment_id,
      first_value(last_failure) as last_failure_message, 0 as num_pending, sum(retry_count) as num_retries
      FROM sys_invocation WHERE status != 'pending' AND target_service_name IN ('DiffLocker', 'DiffCounter')
      GROUP BY target_service_name, target_service_key, status`,
    live: true,
  },
  { sql: "select key, value from state where service_name = 'DiffCounter' and service_key = 'a' ;" },
  { sql: "SELECT service_name, service_key, key, value FROM state WHERE service_name = 'DiffCounter' ORDER BY service_key", ordered: true },
  { sql: ({ deployment }) => `SELECT COUNT(1) AS inv_count FROM sys_invocation_status WHERE pinned_deployment_id = '${deployment}' AND status != 'completed'` },
  {
    sql: ({ deployment }) => `SELECT target_service_name as service, target_handler_name as handler, COUNT(1) AS inv_count FROM sys_invocation_status
      WHERE pinned_deployment_id = '${deployment}' AND status != 'completed' GROUP BY pinned_deployment_id, target_service_name, target_handler_name`,
  },
  { sql: "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'sys_journal' AND column_name IN ('version', 'entry_json', 'appended_at')" },
  {
    sql: `SELECT sj.index, sj.entry_type, sj.completed, sj.invoked_id, sj.invoked_target, sj.sleep_wakeup_at, sj.name, sj.promise_name, sj.version,
      sj.entry_json, sj.appended_at FROM sys_journal sj WHERE sj.id = (SELECT id FROM sys_invocation WHERE target = 'JournalObject/k/all')
      ORDER BY index DESC LIMIT 100`,
    ordered: true,
  },
  { sql: "SELECT id, target FROM sys_invocation_status WHERE target LIKE 'DiffLocker/%' AND status != 'completed' LIMIT 500" },
  // The web UI: health probe, list, summary, counts, chart, invocation page, state, objects, promises, deployments.
  { sql: "SELECT 1 FROM sys_invocation_status LIMIT 1" },
  {
    sql: `SELECT ss.id AS id FROM sys_invocation_status ss LEFT JOIN (SELECT id AS state_id, in_flight, retry_count FROM sys_invocation_state) sis
      ON sis.state_id = ss.id WHERE ss.status = 'invoked' AND sis.in_flight IS NOT TRUE AND COALESCE(sis.retry_count, 0) = 0 ORDER BY ss.created_at DESC LIMIT 1000`,
    live: true,
  },
  {
    sql: `SELECT ss.target_service_name AS service_name, CASE WHEN ss.status = 'completed' THEN 'done' WHEN sis.in_flight THEN 'running'
      WHEN ss.status = 'inboxed' THEN 'queued' ELSE 'open' END AS bucket, COUNT(1) AS count FROM sys_invocation_status ss
      LEFT JOIN sys_invocation_state sis ON sis.id = ss.id GROUP BY ss.target_service_name, CASE WHEN ss.status = 'completed' THEN 'done'
      WHEN sis.in_flight THEN 'running' WHEN ss.status = 'inboxed' THEN 'queued' ELSE 'open' END ORDER BY service_name, bucket`,
    ordered: true,
    live: true,
  },
  { sql: "SELECT COUNT(1) FROM (SELECT id, status FROM sys_invocation LIMIT 200000) WHERE status = 'completed'" },
  {
    sql: `SELECT SUM(CASE WHEN status = 'inboxed' THEN 1 ELSE 0 END) AS inboxed, SUM(CASE WHEN status = 'scheduled' THEN 1 ELSE 0 END) AS scheduled,
      SUM(CASE WHEN status = 'suspended' THEN 1 ELSE 0 END) AS suspended FROM sys_invocation_status`,
  },
  {
    sql: `SELECT SUM(succeeded) AS succeeded, SUM(failed) AS failed, COUNT(1) > 0 AS any FROM (SELECT to_unixtime(date_bin(INTERVAL '60 seconds',
      completed_at, TIMESTAMP '1970-01-01T00:00:00')) AS bucket, COUNT(1) FILTER (WHERE completion_result = 'success') AS succeeded,
      COUNT(1) FILTER (WHERE completion_result = 'failure') AS failed FROM sys_invocation_status WHERE status = 'completed'
      AND completed_at >= '${day}' AND completed_at < now() + INTERVAL '1 hour' GROUP BY bucket) c`,
  },
  { sql: "SELECT * FROM sys_invocation WHERE target = 'JournalObject/k/all'" },
  { sql: "SELECT * FROM sys_invocation_status WHERE target_service_name IN ('DiffLocker', 'DiffSleeper', 'JournalWorkflow') ORDER BY target, status", ordered: true },
  { sql: "SELECT after_journal_entry_index, appended_at, event_type, event_json from sys_journal_events WHERE id = 'inv_x' ORDER BY appended_at DESC LIMIT 1" },
  { sql: "SELECT service_name, COALESCE(SUM(value_length), 0) AS size FROM state GROUP BY service_name ORDER BY service_name", ordered: true },
  { sql: "SELECT DISTINCT service_name FROM state ORDER BY service_name", ordered: true },
  {
    sql: `SELECT key, CASE WHEN value_length <= 65536 THEN value END AS value, value_utf8, key_length FROM state WHERE service_name = 'DiffCounter'
      AND service_key = 'a' AND key > '' ORDER BY key LIMIT 1001`,
    ordered: true,
  },
  { sql: "SELECT DISTINCT partition_key, target_service_key FROM sys_invocation_status WHERE target_service_name = 'DiffCounter' ORDER BY target_service_key LIMIT 51", ordered: true },
  { sql: "SELECT partition_key, service_key, key FROM state ORDER BY partition_key, key", ordered: true },
  { sql: "SELECT service_key, COUNT(*) AS backlog FROM sys_inbox WHERE service_name = 'DiffLocker' GROUP BY service_key ORDER BY backlog DESC, service_key ASC LIMIT 51", ordered: true },
  { sql: "SELECT partition_key, service_name, service_key, sequence_number > 0 AS numbered, created_at FROM sys_inbox" },
  { sql: "SELECT invocation_id FROM sys_keyed_service_status WHERE service_name = 'DiffLocker' AND service_key = 'l' AND invocation_id IS NOT NULL LIMIT 1" },
  { sql: "SELECT service_name, service_key, partition_key FROM sys_keyed_service_status ORDER BY service_name, service_key", ordered: true },
  { sql: "SELECT COUNT(*) FROM sys_promise WHERE service_name = 'JournalWorkflow' AND service_key = 'w1' AND completed = false" },
  { sql: "SELECT * FROM sys_promise ORDER BY key", ordered: true },
  { sql: "SELECT MAX(created_at) AS latest, COUNT(*) AS n FROM sys_invocation_status WHERE target_service_name = 'JournalWorkflow'" },
  {
    sql: `WITH active_deployments AS (SELECT DISTINCT deployment_id AS id FROM sys_service WHERE deployment_id IS NOT NULL UNION SELECT DISTINCT
      pinned_deployment_id AS id FROM sys_invocation_status WHERE pinned_deployment_id IS NOT NULL AND status != 'completed')
      SELECT d.id AS id FROM sys_deployment d EXCEPT SELECT id FROM active_deployments`,
  },
  { sql: "SELECT name, revision, public, ty, deployment_id IS NOT NULL AS deployed FROM sys_service ORDER BY name", ordered: true },
  { sql: "SELECT ty, endpoint, created_at, min_service_protocol_version, max_service_protocol_version, services FROM sys_deployment" },
  { sql: "SELECT table_name FROM information_schema.tables ORDER BY table_name", ordered: true },
  { sql: "SELECT * FROM information_schema.columns WHERE table_name IN ('sys_invocation', 'state') ORDER BY table_name, ordinal_position", ordered: true },
  // stet's own web UI (ui/src/api/): the completion chart by minute, keyset pages, objects with state, deployments in use.
  {
    sql: `SELECT SUM(succeeded) AS succeeded, SUM(failed) AS failed FROM (SELECT date_trunc('minute', completed_at) AS minute,
      COUNT(1) FILTER (WHERE completion_result = 'success') AS succeeded, COUNT(1) FILTER (WHERE completion_result = 'failure') AS failed
      FROM sys_invocation_status WHERE completed_at >= '${day}' GROUP BY minute) m`,
  },
  {
    sql: `SELECT id FROM sys_invocation_status WHERE (created_at < '2100-01-01T00:00:00.000Z' OR (created_at = '2100-01-01T00:00:00.000Z'
      AND id < 'inv_z')) AND target_service_name = 'DiffCounter' ORDER BY created_at DESC, id DESC LIMIT 51`,
  },
  {
    sql: `SELECT service_key, COUNT(*) AS entries, SUM(value_length) AS size FROM state WHERE service_name = 'DiffCounter' AND service_key > ''
      AND starts_with(service_key, 'a') GROUP BY service_key ORDER BY service_key LIMIT 51`,
    ordered: true,
  },
  { sql: "SELECT service_name AS service, COUNT(DISTINCT service_key) AS objects FROM state GROUP BY service_name ORDER BY service_name", ordered: true },
  {
    sql: `SELECT pinned_deployment_id IS NOT NULL AS pinned, COUNT(*) AS n FROM sys_invocation_status WHERE pinned_deployment_id IS NOT NULL
      AND status != 'completed' GROUP BY pinned_deployment_id`,
  },
  { sql: "SELECT last_attempt_deployment_id IS NOT NULL AS known, COUNT(*) AS n FROM sys_invocation_state WHERE last_attempt_deployment_id IS NOT NULL GROUP BY last_attempt_deployment_id", live: true },
  // The invoker's live state: a running attempt is in no store.
  {
    sql: `SELECT s.in_flight, s.retry_count, s.last_failure, s.last_failure_error_code, s.last_attempt_server, s.next_retry_at > now() AS later
      FROM sys_invocation_state s JOIN sys_invocation_status ss ON ss.id = s.id WHERE ss.target_service_name = 'Stubborn'`,
    live: true,
  },
  { sql: "SELECT status, retry_count, last_failure, last_failure_error_code FROM sys_invocation WHERE target_service_name = 'Stubborn'", live: true },
  // What else the dialects must agree on: text order and comparison, NULLs, functions, windows, set operations, paging.
  { sql: "SELECT target FROM sys_invocation WHERE target ILIKE 'journal%' ORDER BY target_service_key DESC NULLS LAST, target", ordered: true },
  { sql: "SELECT count(*) AS n FROM sys_invocation WHERE target LIKE 'journal%'" },
  { sql: "SELECT target, target_service_key FROM sys_invocation_status WHERE target_service_key >= 'a' AND target_service_key < 'l' ORDER BY target_service_key, target", ordered: true },
  { sql: "SELECT COUNT(*) AS n FROM sys_invocation WHERE created_at > now() - INTERVAL '1 hour' AND created_at <= now() AND scheduled_start_at IS NULL" },
  { sql: "SELECT target, scheduled_start_at > created_at + INTERVAL '30 minutes' AS later, completion_retention, journal_retention FROM sys_invocation_status WHERE status = 'scheduled' ORDER BY target", ordered: true },
  {
    sql: `SELECT lower(target_service_name) AS l, upper(target_handler_name) AS u, length(target) AS n, substr(target, 1, 7) AS s,
      concat(target_service_name, '-', target_service_key) AS c, starts_with(target, 'Journal') AS sw, ends_with(target, '/all') AS ew,
      coalesce(target_service_key, 'none') AS k, greatest(journal_size, 3) AS g, least(journal_commands_size, 3) AS m,
      to_unixtime(TIMESTAMP '2025-01-01T00:00:00Z') AS t, date_trunc('hour', TIMESTAMP '2025-01-01T10:30:00Z') AS h,
      date_bin(INTERVAL '15 minutes', TIMESTAMP '2025-01-01T10:31:00Z', TIMESTAMP '2025-01-01T00:00:00Z') AS b, journal_size / 2 AS half,
      journal_size % 2 AS odd, arrow_cast(target, 'Utf8') AS small, CAST(journal_size AS TEXT) AS text, CAST('3' AS BIGINT) AS three
      FROM sys_invocation_status WHERE target = 'JournalObject/k/all'`,
  },
  { sql: "SELECT target, row_number() OVER (PARTITION BY target_service_name ORDER BY target) AS n FROM sys_invocation_status WHERE target_service_name = 'DiffCounter' ORDER BY target", ordered: true },
  { sql: "SELECT count(*) AS n FROM sys_invocation_status WHERE target_service_key IS DISTINCT FROM 'a' AND journal_size BETWEEN 1 AND 100 AND journal_size NOT IN (0)" },
  { sql: "SELECT name FROM sys_service s WHERE EXISTS (SELECT 1 FROM sys_invocation_status i WHERE i.target_service_name = s.name) ORDER BY name", ordered: true },
  { sql: "SELECT name FROM sys_service WHERE name IN (SELECT target_service_name FROM sys_invocation_status WHERE status = 'completed') ORDER BY name OFFSET 1", ordered: true },
  { sql: "SELECT name FROM (SELECT name FROM sys_service ORDER BY name LIMIT 1) f UNION ALL SELECT 'x' UNION ALL SELECT max(name) FROM sys_service", ordered: false },
  { sql: "SELECT entry_type, count(*) AS n, max(name) AS name, sum(raw_length) > 0 AS sized FROM sys_journal GROUP BY entry_type ORDER BY entry_type", ordered: true },
  { sql: "SELECT x.entry_lite_json FROM (SELECT entry_lite_json, index FROM sys_journal WHERE name = 'step') x" },
  { sql: "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3000) SELECT n, 'row ' || n AS label FROM r ORDER BY n", ordered: true },
];

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Values that differ between two runs of the same invocations, as placeholders. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).sort();
  if (typeof value === "string") {
    if (ISO.test(value)) return "<time>";
    return value.replace(/inv_1[0-9A-Za-z]{33}/g, "<inv>").replace(/dp_1[0-9A-Za-z]{22}/g, "<dp>").replace(/sign_1[0-9A-Za-z_-]+/g, "<awakeable>");
  }
  return value;
}

export function canonicalRows(rows: Record<string, unknown>[], ordered: boolean): string[] {
  // The journal's JSON with its ids and times as placeholders, and the ingress's own headers left out.
  const journal = rows.some((row) => "entry_json" in row) ? normalizeJournalRows(rows) : rows;
  const out = journal.map((row) =>
    JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, k === "partition_key" && !keyed(row) ? "<key>" : canonical(v)]))),
  );
  return ordered ? out : out.sort();
}

/** A row whose partition key comes from an object's key (the same on every run), not from a random id. */
function keyed(row: Record<string, unknown>): boolean {
  return row["service_key"] !== undefined || row["target_service_key"] !== undefined;
}
