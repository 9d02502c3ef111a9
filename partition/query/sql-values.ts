import { invalidQuery } from "./query-errors.js";

/**
 * How the SQLite side of `/query` represents the wire types that SQLite lacks: timestamps as ISO 8601 text
 * with milliseconds and `Z` (so they compare and sort as text, and with the ISO strings clients send),
 * durations as integer milliseconds, booleans as 0/1, lists as JSON text.
 */

/** A stored boolean (0/1) as a boolean. */
export function storedBool(value: unknown): boolean {
  return value === 1 || value === 1n || value === true;
}

/** A stored timestamp (ISO text, or ms) in ms since the epoch; NaN when it is not one. */
export function storedTimestampMs(value: unknown): number {
  return typeof value === "number" ? value : Date.parse(String(value));
}

/** A stored list (JSON text) as an array. */
export function storedList(value: unknown): unknown[] {
  return typeof value === "string" ? (JSON.parse(value) as unknown[]) : (value as unknown[]);
}

/** A timestamp as the query side stores it: `2025-01-02T03:04:05.678Z`. */
export function isoTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

/** A timestamp literal (`'2025-01-02T03:04:05Z'`, `'2025-01-02 03:04:05'`, a date) in the stored form. */
export function parseTimestampLiteral(text: string): string {
  const trimmed = text.trim();
  // SQL writes a space between date and time and means UTC when no zone is given.
  const normalized = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(trimmed) ? `${trimmed.replace(" ", "T")}Z` : trimmed;
  const ms = Date.parse(normalized);
  if (Number.isNaN(ms)) throw invalidQuery(`cannot read '${text}' as a timestamp (use ISO 8601, e.g. '2025-01-02T03:04:05Z')`);
  return isoTimestamp(ms);
}

const INTERVAL_UNITS_MS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(?:ms|msec|msecs|millisecond|milliseconds)$/, 1],
  [/^(?:s|sec|secs|second|seconds)$/, 1_000],
  [/^(?:m|min|mins|minute|minutes)$/, 60_000],
  [/^(?:h|hr|hrs|hour|hours)$/, 3_600_000],
  [/^(?:d|day|days)$/, 86_400_000],
  [/^(?:w|week|weeks)$/, 7 * 86_400_000],
];

/** An `INTERVAL '…'` literal (`'60 seconds'`, `'1 hour 30 minutes'`, `'2 days'`) in milliseconds. */
export function parseIntervalLiteral(text: string): number {
  const parts = text.trim().toLowerCase().split(/\s+/);
  let ms = 0;
  if (parts.length % 2 !== 0 || parts[0] === "") throw invalidQuery(`cannot read '${text}' as an interval (e.g. '60 seconds', '1 hour')`);
  for (let i = 0; i < parts.length; i += 2) {
    const amount = Number(parts[i]);
    const unit = INTERVAL_UNITS_MS.find(([pattern]) => pattern.test(parts[i + 1]!));
    if (!Number.isFinite(amount) || unit === undefined) {
      throw invalidQuery(`cannot read '${text}' as an interval: calendar units (months, years) and '${parts[i + 1]}' are not supported`);
    }
    ms += amount * unit[1];
  }
  return Math.round(ms);
}

/** A SQLite string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A SQLite identifier, always quoted (names such as `index` and `key` are keywords). */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
