import type { ColumnDef } from "../partition/query/system-tables.js";

/**
 * What differs between the SQL that SQLite and PostgreSQL run for one `/query` statement. The
 * translator (sql-translate.ts) decides what a statement means, with DataFusion's names and types; a
 * dialect only spells the parts each database writes its own way. Timestamps are whatever the
 * backend's system views hold (ISO text on SQLite, timestamptz on PostgreSQL); durations are integer
 * milliseconds on both.
 */
export interface SqlDialect {
  /** A system table (schema `public`) or one of `information_schema`'s, as FROM names it here. */
  table(name: string, schema: "public" | "information_schema"): string;
  /** Columns of a system table that this backend's SQL yields as an intermediate value (see ComputedColumn). */
  readonly computed?: ReadonlyMap<string, ReadonlyMap<string, ComputedColumn>>;
  bool(value: boolean): string;
  /** A timestamp constant, from its ISO form (`2025-01-02T03:04:05.678Z`). */
  timestamp(iso: string): string;
  /** An expression of another type (text, ms) read as a timestamp. */
  toTimestamp(sql: string): string;
  /** A timestamp moved by a number of milliseconds (negative to go back). */
  timestampPlus(ts: string, ms: string): string;
  /** The milliseconds from `b` to `a`. */
  timestampDiff(a: string, b: string): string;
  /** `greatest(…)` or `least(…)` of values. */
  extreme(args: readonly string[], greatest: boolean): string;
  /** `a IS [NOT] DISTINCT FROM b`. */
  distinct(a: string, b: string, distinct: boolean): string;
  /** The type CAST names for text, a 64-bit integer, a float and a boolean. */
  castType(type: "text" | "integer" | "real" | "bool"): string;
  /** The aggregate that keeps the first (or last) value it is given, NULL included (`FIRST_VALUE(x ORDER BY y)`). */
  firstLastAggregate(first: boolean): string;
  /** Concatenation that skips NULLs (`concat(…)`). */
  concat(args: readonly string[]): string;
  /** Whether `s` ends with `suffix`. */
  endsWith(s: string, suffix: string): string;
  /** The start of the `strideMs`-long bin, counted from `origin` (the epoch when undefined), that holds `ts`. */
  dateBin(strideMs: string, ts: string, origin: string | undefined): string;
  /** `ts` truncated to a unit (`second`, `minute`, `hour`, `day`). */
  dateTrunc(unit: string, ts: string): string;
  /** Whole seconds since the epoch. */
  toUnixtime(ts: string): string;
  /** What LIMIT takes to mean no limit (when only OFFSET is given). */
  readonly noLimit: string;
  /**
   * A condition added to the WHERE of every SELECT with a FROM (its items given), or undefined: SQLite
   * checks the query's deadline on each row with it, PostgreSQL has a statement timeout instead.
   */
  rowCheck?(items: readonly FromItem[]): string | undefined;
}

/**
 * A column that a backend cannot compute in SQL (PostgreSQL cannot decode a journal entry's protobuf
 * frame into `entry_json`): its SQL yields the ingredients, and the reader turns them into the value
 * after the rows are read. So it can be selected, also through subqueries, but nothing can be computed
 * from it (no WHERE, ORDER BY or function over it).
 */
export interface ComputedColumn {
  /** Names the reader's function that makes the value. */
  readonly computedBy: string;
}

/** One item of a FROM clause: its alias ("" for a compound SELECT's result) and columns. */
export interface FromItem {
  readonly alias: string;
  readonly columns: readonly ColumnDef[];
}
