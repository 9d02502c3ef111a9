import type { Database } from "better-sqlite3";
import { invalidQuery, queryTimedOut } from "../../partition/query/query-errors.js";
import { isoTimestamp, parseTimestampLiteral } from "../../partition/query/sql-values.js";

/**
 * The functions translated queries call that SQLite lacks, registered on a query connection. Timestamps
 * are ISO text (sql-values.ts), durations integer milliseconds.
 */
export function registerQueryFunctions(db: Database): QueryClock {
  let deadline = Number.POSITIVE_INFINITY;
  let limitMs = 0;
  db.function("stet_deadline", { varargs: true }, () => {
    if (Date.now() > deadline) throw queryTimedOut(limitMs);
    return 1;
  });
  const ms = (ts: unknown): number | null => (typeof ts === "string" ? Date.parse(ts) : null);
  db.function("stet_ts", { deterministic: true }, (value: unknown) =>
    value === null ? null : typeof value === "number" ? isoTimestamp(value) : parseTimestampLiteral(String(value)),
  );
  db.function("stet_ts_add", { deterministic: true }, (ts: unknown, durationMs: unknown) => {
    const at = ms(ts);
    return at === null || typeof durationMs !== "number" ? null : isoTimestamp(at + durationMs);
  });
  db.function("stet_ts_diff", { deterministic: true }, (a: unknown, b: unknown) => {
    const [x, y] = [ms(a), ms(b)];
    return x === null || y === null ? null : x - y;
  });
  db.function("stet_to_unixtime", { deterministic: true }, (ts: unknown) => {
    const at = ms(ts);
    return at === null ? null : Math.floor(at / 1000);
  });
  // date_bin(stride, ts, origin): the start of the stride-long bin (counted from origin) that holds ts.
  db.function("stet_date_bin", { deterministic: true }, (stride: unknown, ts: unknown, origin: unknown) => {
    const at = ms(ts);
    if (at === null || typeof stride !== "number") return null;
    if (stride <= 0) throw invalidQuery("date_bin: the stride must be a positive interval");
    const from = origin === null ? 0 : (ms(origin) ?? 0);
    return isoTimestamp(from + Math.floor((at - from) / stride) * stride);
  });
  db.function("stet_date_trunc", { deterministic: true }, (unit: unknown, ts: unknown) => {
    const at = ms(ts);
    if (at === null) return null;
    const size = TRUNC_UNITS_MS[String(unit).toLowerCase()];
    if (size === undefined) throw invalidQuery(`date_trunc: the unit '${String(unit)}' is not supported (second, minute, hour, day)`);
    return isoTimestamp(Math.floor(at / size) * size);
  });
  // DataFusion's FIRST_VALUE(x ORDER BY y) and LAST_VALUE as aggregates; SQLite orders their input.
  db.aggregate("stet_first", { start: () => ({ seen: false, value: null as unknown }), step: firstStep, result: (s) => s.value as never });
  db.aggregate("stet_last", { start: () => ({ value: null as unknown }), step: (s: { value: unknown }, v: unknown) => ((s.value = v), s), result: (s) => s.value as never });
  return {
    limit: (ms) => {
      limitMs = ms;
      deadline = Date.now() + ms;
    },
  };
}

/** The time limit of the next query on a connection. */
export interface QueryClock {
  /** Queries from now on stop with a timeout error once `ms` have passed. */
  limit(ms: number): void;
}

function firstStep(state: { seen: boolean; value: unknown }, value: unknown): { seen: boolean; value: unknown } {
  if (!state.seen) {
    state.seen = true;
    state.value = value;
  }
  return state;
}

const TRUNC_UNITS_MS: Readonly<Record<string, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};
