import type { Database } from "better-sqlite3";
import {
  FRAME_HEADER_LENGTH,
  partitionKeyForKey,
  partitionKeyOf,
  type InvocationId,
} from "../../protocol/index.js";
import { CALLEE_SQL, ENTRY_TYPE_SQL, NAME_SQL, registerJournalFunctions } from "./journal-columns.js";
import { isoTimestamp } from "../../partition/query/sql-values.js";
import { ARROW_TYPE_NAMES, INFORMATION_SCHEMA, SYSTEM_TABLES } from "../../partition/query/system-tables.js";

/**
 * The system tables as TEMP views over the store's own tables, on a query connection (read-only: the
 * views live in its temp schema). Timestamps become ISO text, booleans 0/1, as sql-values.ts describes.
 * What the store does not keep yet is NULL: trace ids, the inboxed/running times, when journal entries
 * were appended. `sys_journal` is Restate's journal v2 (protocol ≥ 4): `raw` is the
 * message without its frame header, and `completed`, `invoked_id`, `invoked_target`, `sleep_wakeup_at`
 * and `promise_name` are NULL, as Restate 1.7 leaves them for v2 entries (they are v1 columns; the CLI and
 * the web UI read v2 entries from `entry_json` / `entry_lite_json`; see RESTATE-FACTS.md).
 * `sys_invocation_state` (the invoker's live view) is a TEMP table the caller fills per query.
 */
export function installSystemViews(db: Database): void {
  registerViewFunctions(db);
  registerJournalFunctions(db);
  db.exec(`
    CREATE TEMP VIEW sys_invocation_status AS SELECT
      stet_partition_key(i.id) AS partition_key, i.id AS id, NULL AS vqueue_id,
      i.service || '/' || CASE WHEN i.service_type = 'SERVICE' THEN '' ELSE i.object_key || '/' END || i.handler AS target,
      i.service AS target_service_name,
      CASE WHEN i.service_type = 'SERVICE' THEN NULL ELSE i.object_key END AS target_service_key,
      i.handler AS target_handler_name, lower(i.service_type) AS target_service_ty,
      NULL AS scope, NULL AS limit_key, i.idempotency_key AS idempotency_key,
      CASE WHEN i.caller_id IS NULL THEN 'ingress' ELSE 'service' END AS invoked_by,
      c.service AS invoked_by_service_name, i.caller_id AS invoked_by_id, NULL AS invoked_by_subscription_id,
      CASE WHEN c.id IS NULL THEN NULL ELSE c.service || '/' || CASE WHEN c.service_type = 'SERVICE' THEN '' ELSE c.object_key || '/' END || c.handler END AS invoked_by_target,
      NULL AS restarted_from, i.pinned_deployment_id AS pinned_deployment_id,
      i.pinned_protocol_version AS pinned_service_protocol_version, NULL AS trace_id,
      (SELECT count(*) FROM main.journal j WHERE j.invocation_seq = i.seq) AS journal_size,
      (SELECT count(*) FROM main.journal j WHERE j.invocation_seq = i.seq AND j.type >= 1024 AND j.type < 32768) AS journal_commands_size,
      stet_iso(i.created_at) AS created_at, NULL AS created_using_restate_version, stet_iso(i.modified_at) AS modified_at,
      NULL AS inboxed_at, NULL AS scheduled_at, stet_iso(i.execution_time) AS scheduled_start_at, NULL AS running_at,
      stet_iso(i.completed_at) AS completed_at, i.retention_ms AS completion_retention, i.retention_ms AS journal_retention,
      NULL AS suspended_waiting_for_completions, NULL AS suspended_waiting_for_signals, NULL AS suspended_waiting_future_json,
      CASE i.status WHEN 'backing-off' THEN 'invoked' ELSE i.status END AS status,
      CASE i.output_kind WHEN 'value' THEN 'success' WHEN 'failure' THEN 'failure' END AS completion_result,
      CASE WHEN i.output_kind = 'failure' THEN '[' || i.failure_code || '] ' || i.failure_message END AS completion_failure
    FROM main.invocations i LEFT JOIN main.invocations c ON c.id = i.caller_id;

    CREATE TEMP TABLE sys_invocation_state (${columnList("sys_invocation_state")});
    -- sys_invocation joins it on id once per invocation in the store.
    CREATE INDEX temp.sys_invocation_state_id ON sys_invocation_state (id);

    CREATE TEMP VIEW sys_invocation AS SELECT
      ${columnsOf("sys_invocation")
        .map((c) => (STATE_COLUMNS.has(c) ? `sis."${c}" AS "${c}"` : c === "status" ? STATUS_SQL : `ss."${c}" AS "${c}"`))
        .join(", ")}
    FROM sys_invocation_status ss LEFT JOIN sys_invocation_state sis ON sis.id = ss.id;

    CREATE TEMP VIEW sys_journal AS SELECT
      stet_partition_key(i.id) AS partition_key, i.id AS id, j.idx AS "index", ${ENTRY_TYPE_SQL} AS entry_type, ${NAME_SQL} AS name,
      NULL AS completed, NULL AS invoked_id, NULL AS invoked_target, NULL AS sleep_wakeup_at, NULL AS promise_name,
      substr(j.frame, ${FRAME_HEADER_LENGTH + 1}) AS raw, length(j.frame) - ${FRAME_HEADER_LENGTH} AS raw_length, 2 AS version,
      stet_entry_json(j.type, j.frame, ${CALLEE_SQL}) AS entry_json,
      stet_entry_lite_json(j.type, j.frame, ${CALLEE_SQL}) AS entry_lite_json, NULL AS appended_at
    FROM main.journal j JOIN main.invocations i ON i.seq = j.invocation_seq;

    CREATE TEMP VIEW sys_journal_events AS SELECT ${nulls("sys_journal_events")} WHERE 0;

    CREATE TEMP VIEW state AS SELECT
      stet_partition_key_for(s.service, s.object_key) AS partition_key, NULL AS scope, s.service AS service_name,
      s.object_key AS service_key, CAST(s.state_key AS TEXT) AS key, length(s.state_key) AS key_length,
      stet_utf8(s.value) AS value_utf8, s.value AS value, length(s.value) AS value_length
    FROM main.state s;

    CREATE TEMP VIEW sys_inbox AS SELECT
      stet_partition_key_for(b.service, b.object_key) AS partition_key, b.service AS service_name, b.object_key AS service_key,
      b.invocation_id AS id, b.seq AS sequence_number, stet_iso(i.created_at) AS created_at
    FROM main.inbox b JOIN main.invocations i ON i.id = b.invocation_id;

    CREATE TEMP VIEW sys_promise AS SELECT
      stet_partition_key_for(p.service, p.object_key) AS partition_key, NULL AS scope, p.service AS service_name,
      p.object_key AS service_key, p.name AS key, 1 AS completed, p.value AS completion_success_value,
      stet_utf8(p.value) AS completion_success_value_utf8,
      CASE WHEN p.kind = 'failure' THEN '[' || p.failure_code || '] ' || p.failure_message END AS completion_failure
    FROM main.promises p;

    CREATE TEMP VIEW sys_keyed_service_status AS SELECT
      stet_partition_key_for(l.service, l.object_key) AS partition_key, l.service AS service_name, l.object_key AS service_key,
      l.invocation_id AS invocation_id
    FROM main.object_locks l;

    CREATE TEMP VIEW sys_service AS SELECT
      s.name AS name, s.revision AS revision,
      -- An operator's PATCH (overrides) wins over what the deployment declared.
      coalesce(json_extract(o.overrides, '$.public'), NOT coalesce(json_extract(s.definition, '$.ingressPrivate'), 0)) AS public,
      lower(s.ty) AS ty, s.deployment_id AS deployment_id
    FROM main.registry_services s LEFT JOIN main.registry_service_overrides o ON o.name = s.name
    WHERE s.revision = (SELECT max(o.revision) FROM main.registry_services o WHERE o.name = s.name);

    CREATE TEMP VIEW sys_deployment AS SELECT
      d.id AS id, 'http' AS ty, d.uri AS endpoint, stet_iso(d.created_at) AS created_at,
      d.min_protocol_version AS min_service_protocol_version, d.max_protocol_version AS max_service_protocol_version,
      (SELECT json_group_array(s.name) FROM main.registry_services s WHERE s.deployment_id = d.id) AS services
    FROM main.registry_deployments d;

    CREATE TEMP TABLE information_schema_tables (${columnList("tables", INFORMATION_SCHEMA)});
    CREATE TEMP TABLE information_schema_columns (${columnList("columns", INFORMATION_SCHEMA)});
  `);
  const addTable = db.prepare("INSERT INTO information_schema_tables VALUES ('restate', 'public', ?, 'BASE TABLE')");
  const addColumn = db.prepare("INSERT INTO information_schema_columns VALUES ('restate', 'public', ?, ?, ?, NULL, ?, ?)");
  for (const [table, columns] of SYSTEM_TABLES) {
    addTable.run(table);
    columns.forEach((c, i) => addColumn.run(table, c.name, i, c.nullable === false ? "NO" : "YES", ARROW_TYPE_NAMES[c.type]));
  }
}

const STATE_COLUMNS = new Set(columnsOf("sys_invocation_state").filter((c) => c !== "partition_key" && c !== "id"));

/** Restate 1.7's computed status of `sys_invocation` (the raw status and the invoker's live state). */
const STATUS_SQL = `CASE WHEN ss.status = 'inboxed' THEN 'pending' WHEN ss.status = 'scheduled' THEN 'scheduled'
  WHEN ss.status = 'completed' THEN 'completed' WHEN ss.status = 'suspended' THEN 'suspended'
  WHEN ss.status = 'paused' THEN 'paused' WHEN sis.in_flight THEN 'running'
  WHEN ss.status = 'invoked' AND coalesce(sis.retry_count, 0) > 0 THEN 'backing-off' ELSE 'ready' END AS "status"`;

function columnsOf(table: string, catalog = SYSTEM_TABLES): string[] {
  return (catalog.get(table) ?? []).map((c) => c.name);
}

function columnList(table: string, catalog = SYSTEM_TABLES): string {
  return columnsOf(table, catalog)
    .map((c) => `"${c}"`)
    .join(", ");
}

function nulls(table: string): string {
  return columnsOf(table)
    .map((c) => `NULL AS "${c}"`)
    .join(", ");
}

function registerViewFunctions(db: Database): void {
  db.function("stet_iso", { deterministic: true }, (ms: unknown) => (typeof ms === "number" ? isoTimestamp(ms) : null));
  // Partition keys are u64 and SQLite's integers i64: a key from 2^63 up is kept as its two's complement
  // (negative), and the encoders read u64 columns back as unsigned.
  const storable = (key: bigint): bigint => BigInt.asIntN(64, key);
  // The last id's key is kept: a journal scan asks for the same invocation's key once per entry.
  let lastId: unknown;
  let lastKey: bigint | null = null;
  db.function("stet_partition_key", { deterministic: true }, (id: unknown) => {
    if (id === lastId) return lastKey;
    try {
      lastKey = storable(partitionKeyOf(String(id) as InvocationId));
    } catch {
      lastKey = null;
    }
    lastId = id;
    return lastKey;
  });
  db.function("stet_partition_key_for", { deterministic: true }, (service: unknown, key: unknown) =>
    storable(partitionKeyForKey(String(service), String(key))),
  );
  db.function("stet_utf8", { deterministic: true }, (value: unknown) => {
    if (!Buffer.isBuffer(value)) return null;
    const text = value.toString("utf8");
    return Buffer.from(text, "utf8").equals(value) ? text : null;
  });
}
