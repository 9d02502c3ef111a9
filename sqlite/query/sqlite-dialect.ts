import { sqlIdentifier, sqlString } from "../../partition/query/sql-values.js";
import type { FromItem, SqlDialect } from "../../query-sql/index.js";
import type { ViewDialect } from "../../query-sql/index.js";

/**
 * SQLite's spelling of `/query` statements and of the system views. Timestamps are ISO text, booleans
 * 0/1, lists JSON text (partition/query/sql-values.ts); what SQLite lacks is a function of stet's,
 * registered on the query connection (sqlite-functions.ts, journal-columns.ts, system-views.ts).
 */
export const SQLITE_DIALECT: SqlDialect = {
  table: (name, schema) => sqlIdentifier(schema === "information_schema" ? `information_schema_${name}` : name),
  bool: (value) => (value ? "1" : "0"),
  timestamp: (iso) => sqlString(iso),
  toTimestamp: (sql) => `stet_ts(${sql})`,
  timestampPlus: (ts, ms) => `stet_ts_add(${ts}, ${ms})`,
  timestampDiff: (a, b) => `stet_ts_diff(${a}, ${b})`,
  extreme: (args, greatest) => `${greatest ? "max" : "min"}(${args.join(", ")})`,
  distinct: (a, b, distinct) => `(${a} ${distinct ? "IS NOT" : "IS"} ${b})`,
  castType: (type) => ({ text: "TEXT", integer: "INTEGER", real: "REAL", bool: "INTEGER" })[type],
  firstLastAggregate: (first) => (first ? "stet_first" : "stet_last"),
  concat: (args) => `(${args.map((a) => `coalesce(${a}, '')`).join(" || ")})`,
  endsWith: (s, suffix) => `(substr(${s}, -length(${suffix})) = ${suffix})`,
  dateBin: (stride, ts, origin) => `stet_date_bin(${stride}, ${ts}, ${origin ?? "NULL"})`,
  dateTrunc: (unit, ts) => `stet_date_trunc(${unit}, ${ts})`,
  toUnixtime: (ts) => `stet_to_unixtime(${ts})`,
  noLimit: "-1",
  rowCheck: deadlineCheck,
};

/**
 * The time limit, checked on every row a SELECT visits (its WHERE): better-sqlite3 cannot interrupt a
 * statement, so a query past its deadline stops itself (`stet_deadline`, sqlite-functions.ts). The check
 * names a column of every FROM item so that SQLite evaluates it in the innermost loop of a join, not
 * once per outer row; a recursive CTE member and a cross join of big tables are stopped alike. The column
 * is one the system views take straight from a stored column where they have one (not `partition_key`,
 * computed by a function per row, nor a constant NULL, which SQLite would hoist out of the loop).
 */
function deadlineCheck(items: readonly FromItem[]): string | undefined {
  const columns = items.flatMap((item) => {
    const column = CHEAP_COLUMNS.map((name) => item.columns.find((c) => c.name === name)).find((c) => c !== undefined) ?? item.columns[0];
    return column === undefined ? [] : [`${item.alias === "" ? "" : `${sqlIdentifier(item.alias)}.`}${sqlIdentifier(column.name)}`];
  });
  return columns.length === 0 ? undefined : `stet_deadline(${columns.join(", ")})`;
}

const CHEAP_COLUMNS = ["id", "service_name", "name", "table_name"];

/** The system views as TEMP views over the store's tables (system-views.ts). */
export const SQLITE_VIEW_DIALECT: ViewDialect = {
  table: (name) => `main.${name}`,
  view: (name) => name,
  partitionKeyOfId: (id) => `stet_partition_key(${id})`,
  partitionKeyFor: (service, key) => `stet_partition_key_for(${service}, ${key})`,
  timestamp: (ms) => `stet_iso(${ms})`,
  utf8: (bytes) => `stet_utf8(${bytes})`,
  keyText: (bytes) => `CAST(${bytes} AS TEXT)`,
  jsonBool: (json, field) => `json_extract(${json}, '$.${field}')`,
  bool: SQLITE_DIALECT.bool,
  // json_group_array takes its rows in the order the subquery gives them.
  list: (column, from) => `(SELECT json_group_array(v) FROM (SELECT ${column} AS v FROM ${from} ORDER BY v))`,
  tab: "char(9)",
  entryName: (type, frame) => `stet_entry_name(${type}, ${frame})`,
  calleeId: (frame) => `stet_callee_id(${frame})`,
  entryJson: (type, frame, callee, lite) => `stet_entry_${lite ? "lite_" : ""}json(${type}, ${frame}, ${callee})`,
};
