/**
 * The tables `POST /query` serves, named and typed as Restate 1.7's system tables (the CLI and the web UI
 * read them by these names and decode values by these types). How each is stored is the backend's
 * business; this is the contract the SQL translation and the result encoders work from.
 */

/**
 * Column types, as Arrow types on the wire: utf8 = LargeUtf8 (the tables' strings), small_utf8 = Utf8
 * (string literals and information_schema, as DataFusion types them), ts = Timestamp(ms, UTC), dur =
 * Duration(ms), decimal20 = Decimal128(20, 0) (DataFusion's common type of UInt64 and Int64, e.g.
 * `COALESCE(SUM(value_length), 0)`).
 */
export type ColumnType =
  | "utf8"
  | "small_utf8"
  | "u32"
  | "u64"
  | "i64"
  | "f64"
  | "decimal20"
  | "bool"
  | "ts"
  | "dur"
  | "bin"
  | "list_u32"
  | "list_utf8"
  | "null";

/** Each type as DataFusion's `information_schema.columns.data_type` names it (Arrow's display). */
export const ARROW_TYPE_NAMES: Readonly<Record<ColumnType, string>> = {
  utf8: "LargeUtf8",
  small_utf8: "Utf8",
  u32: "UInt32",
  u64: "UInt64",
  i64: "Int64",
  f64: "Float64",
  decimal20: "Decimal128(20, 0)",
  bool: "Boolean",
  ts: 'Timestamp(ms, "+00:00")',
  dur: "Duration(ms)",
  bin: "LargeBinary",
  list_u32: "List(UInt32)",
  list_utf8: "List(LargeUtf8)",
  null: "Null",
};

export interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  /** Whether the column may hold NULL (the Arrow field's flag); absent means it may. */
  readonly nullable?: boolean;
  /**
   * Set on a result column whose value the backend's reader makes from what its SQL yields (a journal
   * entry's JSON on PostgreSQL): names the reader's function. Absent for plain values.
   */
  readonly computedBy?: string;
}

export type TableCatalog = ReadonlyMap<string, readonly ColumnDef[]>;

/** `name type[, …]`; `type!` marks a column that is never NULL. */
const cols = (spec: string): ColumnDef[] =>
  spec
    .trim()
    .split(/\s*,\s*/)
    .map((pair) => {
      const [name, type] = pair.split(/\s+/) as [string, string];
      return type.endsWith("!") ? { name, type: type.slice(0, -1) as ColumnType, nullable: false } : { name, type: type as ColumnType };
    });

// Column order is Restate's (`SELECT *` and information_schema list them so): sys_invocation_status puts
// the outcome after the id, sys_invocation (a view) puts it last, and the two list the caller and the
// invoker's state in different orders.
const TARGET_COLUMNS = `target utf8, target_service_name utf8, target_service_key utf8, target_handler_name utf8,
  target_service_ty utf8, scope utf8, limit_key utf8, idempotency_key utf8, invoked_by utf8`;

const STATUS_TAIL_COLUMNS = `restarted_from utf8,
  pinned_deployment_id utf8, pinned_service_protocol_version u32, trace_id utf8, journal_size u32,
  journal_commands_size u32, created_at ts, created_using_restate_version utf8, modified_at ts, inboxed_at ts,
  scheduled_at ts, scheduled_start_at ts, running_at ts, completed_at ts, completion_retention dur,
  journal_retention dur, suspended_waiting_for_completions list_u32, suspended_waiting_for_signals list_u32,
  suspended_waiting_future_json utf8`;

const OUTCOME_COLUMNS = "completion_result utf8, completion_failure utf8";

const LAST_FAILURE_ENTRY = `last_failure_related_entry_index u64, last_failure_related_entry_name utf8, last_failure_related_entry_type utf8`;
const LAST_FAILURE_COMMAND = `last_failure_related_command_index u64, last_failure_related_command_name utf8,
  last_failure_related_command_type utf8`;

export const SYSTEM_TABLES: TableCatalog = new Map<string, ColumnDef[]>([
  [
    "sys_invocation_status",
    cols(`partition_key u64, id utf8, vqueue_id utf8, status utf8, ${OUTCOME_COLUMNS}, ${TARGET_COLUMNS}, invoked_by_id utf8,
      invoked_by_subscription_id utf8, invoked_by_service_name utf8, invoked_by_target utf8, ${STATUS_TAIL_COLUMNS}`),
  ],
  [
    "sys_invocation_state",
    cols(`partition_key u64, id utf8, in_flight bool, retry_count u64, last_start_at ts, last_attempt_deployment_id utf8,
      last_attempt_server utf8, next_retry_at ts, last_failure utf8, last_failure_error_code utf8, ${LAST_FAILURE_COMMAND},
      ${LAST_FAILURE_ENTRY}, last_awaiting_on_future_json utf8`),
  ],
  [
    "sys_invocation",
    // `status` is computed by a CASE with an ELSE branch: never NULL.
    cols(`id utf8, vqueue_id utf8, ${TARGET_COLUMNS}, invoked_by_service_name utf8, invoked_by_id utf8,
      invoked_by_subscription_id utf8, invoked_by_target utf8, ${STATUS_TAIL_COLUMNS}, retry_count u64, last_start_at ts,
      next_retry_at ts, last_attempt_deployment_id utf8, last_attempt_server utf8, last_failure utf8,
      last_failure_error_code utf8, ${LAST_FAILURE_ENTRY}, ${LAST_FAILURE_COMMAND}, last_awaiting_on_future_json utf8,
      status utf8!, ${OUTCOME_COLUMNS}`),
  ],
  [
    "sys_journal",
    cols(`partition_key u64, id utf8, index u32, entry_type utf8, name utf8, completed bool, invoked_id utf8, invoked_target utf8,
      sleep_wakeup_at ts, promise_name utf8, raw bin, raw_length u64, version u32, entry_json utf8, entry_lite_json utf8, appended_at ts`),
  ],
  ["sys_journal_events", cols("partition_key u64, id utf8, after_journal_entry_index u32, appended_at ts, event_type utf8, event_json utf8")],
  ["state", cols("partition_key u64, scope utf8, service_name utf8, service_key utf8, key utf8, key_length u64, value_utf8 utf8, value bin, value_length u64")],
  ["sys_inbox", cols("partition_key u64, service_name utf8, service_key utf8, id utf8, sequence_number u64, created_at ts")],
  [
    "sys_promise",
    cols(`partition_key u64, scope utf8, service_name utf8, service_key utf8, key utf8, completed bool, completion_success_value bin,
      completion_success_value_utf8 utf8, completion_failure utf8`),
  ],
  ["sys_service", cols("name utf8, revision u64, public bool, ty utf8, deployment_id utf8")],
  ["sys_deployment", cols("id utf8, ty utf8, endpoint utf8, created_at ts, min_service_protocol_version u32, max_service_protocol_version u32, services list_utf8")],
  ["sys_keyed_service_status", cols("partition_key u64, service_name utf8, service_key utf8, invocation_id utf8")],
]);

/** `information_schema.tables` and `.columns`, over the tables above (the CLI checks columns exist through them). */
export const INFORMATION_SCHEMA: TableCatalog = new Map<string, ColumnDef[]>([
  ["tables", cols("table_catalog small_utf8!, table_schema small_utf8!, table_name small_utf8!, table_type small_utf8!")],
  [
    "columns",
    cols(`table_catalog small_utf8!, table_schema small_utf8!, table_name small_utf8!, column_name small_utf8!,
      ordinal_position u64!, column_default small_utf8, is_nullable small_utf8!, data_type small_utf8!`),
  ],
]);
