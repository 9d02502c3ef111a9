import { FRAME_HEADER_LENGTH } from "../protocol/index.js";
import { SYSTEM_TABLES } from "../partition/query/system-tables.js";
import { calleeSql, ENTRY_TYPE_SQL, entryNameSql } from "./journal-entry-sql.js";
import type { ViewDialect } from "./view-dialect.js";

/**
 * What each system table is over the store's own tables, written once for SQLite and PostgreSQL (their
 * partition and registry tables have the same names and columns; ViewDialect spells the rest). A column
 * left out is NULL: what the store does not keep yet (trace ids, the inboxed and running times, when
 * journal entries were appended). `sys_journal` is Restate's journal v2 (protocol ≥ 4): `raw` is the
 * message without its frame header, and `completed`, `invoked_id`, `invoked_target`, `sleep_wakeup_at`
 * and `promise_name` are NULL, as Restate 1.7 leaves them for v2 entries (they are v1 columns; the CLI
 * and the web UI read v2 entries from `entry_json` / `entry_lite_json`; see RESTATE-FACTS.md).
 * `sys_invocation_state` (the invoker's live view, in no store) and the information schema are each
 * backend's own.
 */
export interface ViewSelect {
  /** The view's columns by name; a system column not named here is NULL. */
  readonly columns: Readonly<Record<string, string>>;
  /** FROM and what follows it; undefined for a view of no rows. */
  readonly from: string | undefined;
}

export function systemViewSelects(d: ViewDialect): ReadonlyMap<string, ViewSelect> {
  const t = (name: string) => d.table(name);
  const target = (i: string) => `${i}.service || '/' || CASE WHEN ${i}.service_type = 'SERVICE' THEN '' ELSE ${i}.object_key || '/' END || ${i}.handler`;
  const failure = (row: string) => `'[' || ${row}.failure_code || '] ' || ${row}.failure_message`;
  return new Map<string, ViewSelect>([
    [
      "sys_invocation_status",
      {
        columns: {
          partition_key: d.partitionKeyOfId("i.id"),
          id: "i.id",
          target: target("i"),
          target_service_name: "i.service",
          target_service_key: "CASE WHEN i.service_type = 'SERVICE' THEN NULL ELSE i.object_key END",
          target_handler_name: "i.handler",
          target_service_ty: "lower(i.service_type)",
          idempotency_key: "i.idempotency_key",
          invoked_by: "CASE WHEN i.caller_id IS NULL THEN 'ingress' ELSE 'service' END",
          invoked_by_service_name: "c.service",
          invoked_by_id: "i.caller_id",
          invoked_by_target: `CASE WHEN c.id IS NULL THEN NULL ELSE ${target("c")} END`,
          pinned_deployment_id: "i.pinned_deployment_id",
          pinned_service_protocol_version: "i.pinned_protocol_version",
          journal_size: `(SELECT count(*) FROM ${t("journal")} j WHERE j.invocation_seq = i.seq)`,
          journal_commands_size: `(SELECT count(*) FROM ${t("journal")} j WHERE j.invocation_seq = i.seq AND j.type >= 1024 AND j.type < 32768)`,
          created_at: d.timestamp("i.created_at"),
          modified_at: d.timestamp("i.modified_at"),
          scheduled_start_at: d.timestamp("i.execution_time"),
          completed_at: d.timestamp("i.completed_at"),
          completion_retention: "i.retention_ms",
          journal_retention: "i.retention_ms",
          status: "CASE i.status WHEN 'backing-off' THEN 'invoked' ELSE i.status END",
          completion_result: "CASE i.output_kind WHEN 'value' THEN 'success' WHEN 'failure' THEN 'failure' END",
          completion_failure: `CASE WHEN i.output_kind = 'failure' THEN ${failure("i")} END`,
        },
        from: `${t("invocations")} i LEFT JOIN ${t("invocations")} c ON c.id = i.caller_id`,
      },
    ],
    [
      "sys_invocation",
      {
        columns: Object.fromEntries(
          columnsOf("sys_invocation").map((c) => [c, STATE_COLUMNS.has(c) ? `sis."${c}"` : c === "status" ? STATUS_SQL : `ss."${c}"`]),
        ),
        from: `${d.view("sys_invocation_status")} ss LEFT JOIN ${d.view("sys_invocation_state")} sis ON sis.id = ss.id`,
      },
    ],
    [
      "sys_journal",
      {
        columns: {
          partition_key: d.partitionKeyOfId("i.id"),
          id: "i.id",
          index: "j.idx",
          entry_type: ENTRY_TYPE_SQL,
          name: entryNameSql(d),
          raw: `substr(j.frame, ${FRAME_HEADER_LENGTH + 1})`,
          raw_length: `length(j.frame) - ${FRAME_HEADER_LENGTH}`,
          version: "2",
          entry_json: d.entryJson("j.type", "j.frame", calleeSql(d), false),
          entry_lite_json: d.entryJson("j.type", "j.frame", calleeSql(d), true),
        },
        from: `${t("journal")} j JOIN ${t("invocations")} i ON i.seq = j.invocation_seq`,
      },
    ],
    ["sys_journal_events", { columns: {}, from: undefined }],
    [
      "state",
      {
        columns: {
          partition_key: d.partitionKeyFor("s.service", "s.object_key"),
          service_name: "s.service",
          service_key: "s.object_key",
          key: d.keyText("s.state_key"),
          key_length: "length(s.state_key)",
          value_utf8: d.utf8("s.value"),
          value: "s.value",
          value_length: "length(s.value)",
        },
        from: `${t("state")} s`,
      },
    ],
    [
      "sys_inbox",
      {
        columns: {
          partition_key: d.partitionKeyFor("b.service", "b.object_key"),
          service_name: "b.service",
          service_key: "b.object_key",
          id: "b.invocation_id",
          sequence_number: "b.seq",
          created_at: d.timestamp("i.created_at"),
        },
        from: `${t("inbox")} b JOIN ${t("invocations")} i ON i.id = b.invocation_id`,
      },
    ],
    [
      "sys_promise",
      {
        columns: {
          partition_key: d.partitionKeyFor("p.service", "p.object_key"),
          service_name: "p.service",
          service_key: "p.object_key",
          key: "p.name",
          completed: d.bool(true),
          completion_success_value: "p.value",
          completion_success_value_utf8: d.utf8("p.value"),
          completion_failure: `CASE WHEN p.kind = 'failure' THEN ${failure("p")} END`,
        },
        from: `${t("promises")} p`,
      },
    ],
    [
      "sys_keyed_service_status",
      {
        columns: {
          partition_key: d.partitionKeyFor("l.service", "l.object_key"),
          service_name: "l.service",
          service_key: "l.object_key",
          invocation_id: "l.invocation_id",
        },
        from: `${t("object_locks")} l`,
      },
    ],
    [
      "sys_service",
      {
        columns: {
          name: "s.name",
          revision: "s.revision",
          // An operator's PATCH (overrides) wins over what the deployment declared.
          public: `coalesce(${d.jsonBool("o.overrides", "public")}, NOT coalesce(${d.jsonBool("s.definition", "ingressPrivate")}, ${d.bool(false)}))`,
          ty: "lower(s.ty)",
          deployment_id: "s.deployment_id",
        },
        from: `${t("registry_services")} s LEFT JOIN ${t("registry_service_overrides")} o ON o.name = s.name
          WHERE s.revision = (SELECT max(r.revision) FROM ${t("registry_services")} r WHERE r.name = s.name)`,
      },
    ],
    [
      "sys_deployment",
      {
        columns: {
          id: "d.id",
          ty: "'http'",
          endpoint: "d.uri",
          created_at: d.timestamp("d.created_at"),
          min_service_protocol_version: "d.min_protocol_version",
          max_service_protocol_version: "d.max_protocol_version",
          services: d.list("s.name", `${t("registry_services")} s WHERE s.deployment_id = d.id`),
        },
        from: `${t("registry_deployments")} d`,
      },
    ],
  ]);
}

/** `sys_invocation_state`'s columns that `sys_invocation` takes from it. */
const STATE_COLUMNS = new Set(columnsOf("sys_invocation_state").filter((c) => c !== "partition_key" && c !== "id"));

/** Restate 1.7's computed status of `sys_invocation` (the raw status and the invoker's live state). */
const STATUS_SQL = `CASE WHEN ss.status = 'inboxed' THEN 'pending' WHEN ss.status = 'scheduled' THEN 'scheduled'
  WHEN ss.status = 'completed' THEN 'completed' WHEN ss.status = 'suspended' THEN 'suspended'
  WHEN ss.status = 'paused' THEN 'paused' WHEN sis.in_flight THEN 'running'
  WHEN ss.status = 'invoked' AND coalesce(sis.retry_count, 0) > 0 THEN 'backing-off' ELSE 'ready' END`;

export function columnsOf(table: string): string[] {
  return (SYSTEM_TABLES.get(table) ?? []).map((c) => c.name);
}
