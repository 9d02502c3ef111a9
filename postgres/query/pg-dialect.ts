import { sqlIdentifier } from "../../partition/query/sql-values.js";
import type { ComputedColumn, SqlDialect, ViewDialect } from "../../query-sql/index.js";

/** The schema of the system views and of the functions they call (query-schema.ts). */
export const QUERY_SCHEMA = "stet_query";

/** The setting a query's transaction carries the invoker's live state in (`sys_invocation_state`). */
export const LIVE_STATE_SETTING = "stet.live_invocations";

/** Field numbers in the service protocol's messages (protocol/proto/service_protocol.proto). */
const COMMAND_NAME_FIELD = 12;
const NOTIFICATION_INVOCATION_ID_FIELD = 16;

const EPOCH = "TIMESTAMPTZ '1970-01-01T00:00:00Z'";
const MS = "INTERVAL '1 millisecond'";
const q = (name: string): string => `${QUERY_SCHEMA}.${sqlIdentifier(name)}`;

/**
 * The journal's JSON columns: PostgreSQL cannot decode a protobuf frame into Restate's JSON, so their
 * SQL yields the entry's type, callee and frame together (entryCarrier) and the reader decodes them
 * (pg-values.ts).
 */
const computed = (name: string): ComputedColumn => ({ computedBy: name });
const COMPUTED = new Map([["sys_journal", new Map([["entry_json", computed("entry_json")], ["entry_lite_json", computed("entry_lite_json")]])]]);

/**
 * PostgreSQL's spelling of `/query` statements. Timestamps are timestamptz (the query connection's time
 * zone is UTC), durations integer milliseconds, booleans and lists PostgreSQL's own; what PostgreSQL
 * lacks (an aggregate FIRST_VALUE) is in the query schema. A statement's time limit is the
 * connection's statement_timeout (pg-system-tables.ts), so no row check.
 */
export const PG_DIALECT: SqlDialect = {
  table: (name, schema) => q(schema === "information_schema" ? `information_schema_${name}` : name),
  computed: COMPUTED,
  bool: (value) => (value ? "TRUE" : "FALSE"),
  timestamp: (iso) => `TIMESTAMPTZ '${iso}'`,
  toTimestamp: (sql) => `CAST(${sql} AS timestamptz)`,
  timestampPlus: (ts, ms) => `(${ts} + (${ms}) * ${MS})`,
  timestampDiff: (a, b) => `CAST(round(EXTRACT(EPOCH FROM (${a} - ${b})) * 1000) AS bigint)`,
  extreme: (args, greatest) => `${greatest ? "greatest" : "least"}(${args.join(", ")})`,
  distinct: (a, b, distinct) => `(${a} IS ${distinct ? "" : "NOT "}DISTINCT FROM ${b})`,
  castType: (type) => ({ text: "text", integer: "bigint", real: "double precision", bool: "boolean" })[type],
  firstLastAggregate: (first) => `${QUERY_SCHEMA}.${first ? "first_value_of" : "last_value_of"}`,
  concat: (args) => `concat(${args.join(", ")})`,
  endsWith: (s, suffix) => `(right(${s}, length(${suffix})) = ${suffix})`,
  dateBin: (stride, ts, origin) => `date_bin((${stride}) * ${MS}, ${ts}, ${origin ?? EPOCH})`,
  dateTrunc: (unit, ts) => `date_trunc(${unit}, ${ts})`,
  toUnixtime: (ts) => `CAST(floor(EXTRACT(EPOCH FROM ${ts})) AS bigint)`,
  noLimit: "ALL",
};

/**
 * The system views over the cluster's tables (query-schema.ts). The store's tables are named without a
 * schema: PostgreSQL binds a view to the tables its search path finds when the view is created, the
 * same tables the engine's unqualified statements use.
 */
export const PG_VIEW_DIALECT: ViewDialect = {
  table: (name) => name,
  view: q,
  partitionKeyOfId: (id) => `${QUERY_SCHEMA}.partition_key_of(${id})`,
  partitionKeyFor: (service, key) => `${QUERY_SCHEMA}.partition_key_for(${service}, ${key})`,
  timestamp: (ms) => `(${EPOCH} + ${ms} * ${MS})`,
  utf8: (bytes) => `${QUERY_SCHEMA}.utf8(${bytes})`,
  // A key that is not UTF-8 has no text (SQLite shows its bytes as they are).
  keyText: (bytes) => `${QUERY_SCHEMA}.utf8(${bytes})`,
  jsonBool: (json, field) => `CAST(${json} ->> '${field}' AS boolean)`,
  bool: PG_DIALECT.bool,
  list: (column, from) => `ARRAY(SELECT ${column} FROM ${from} ORDER BY ${column} COLLATE "C")`,
  tab: "chr(9)",
  entryName: (_type, frame) => `coalesce(${QUERY_SCHEMA}.utf8(${QUERY_SCHEMA}.proto_field(${frame}, ${COMMAND_NAME_FIELD})), '')`,
  calleeId: (frame) => `${QUERY_SCHEMA}.utf8(${QUERY_SCHEMA}.proto_field(${frame}, ${NOTIFICATION_INVOCATION_ID_FIELD}))`,
  entryJson: (type, frame, callee) => entryCarrier(type, frame, callee),
};

/** A journal entry's type (4 bytes), its callee (UTF-8, then a NUL) and its frame, in one value (readEntryCarrier). */
function entryCarrier(type: string, frame: string, callee: string): string {
  return `(int4send(${type}) || convert_to(coalesce(${callee}, ''), 'UTF8') || decode('00', 'hex') || ${frame})`;
}
