import { storedBool, storedList, storedTimestampMs } from "../../partition/query/sql-values.js";
import type { ColumnDef } from "../../partition/query/system-tables.js";

/**
 * `POST /query` rows as JSON, value by value as Restate 1.7 writes them (its arrow-json writer): nulls
 * left out of the row, booleans as true/false, timestamps as RFC 3339 UTC with a fraction only when it is
 * not zero, durations as ISO 8601 seconds (`PT86400S`, `PT1.500S`), binary as lowercase hex, lists as
 * arrays. Input values are what the SQLite side produces (sql-values.ts).
 */
export function jsonRow(row: Readonly<Record<string, unknown>>, columns: readonly ColumnDef[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columns) {
    const value = jsonValue(row[column.name], column.type);
    if (value !== null) out[column.name] = value;
  }
  return out;
}

export function jsonValue(value: unknown, type: ColumnDef["type"]): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "bool":
      return storedBool(value);
    case "ts":
      return rfc3339(value);
    case "dur":
      return typeof value === "number" || typeof value === "bigint" ? isoDuration(Number(value)) : null;
    case "bin":
      return Buffer.isBuffer(value) ? value.toString("hex") : Buffer.from(String(value), "utf8").toString("hex");
    case "list_u32":
    case "list_utf8":
      return storedList(value);
    case "f64":
      return typeof value === "number" && !Number.isFinite(value) ? null : value;
    case "u32":
    case "u64":
    case "i64":
      return typeof value === "bigint" ? Number(value) : value;
    default:
      return Buffer.isBuffer(value) ? value.toString("utf8") : value;
  }
}

/** `2025-01-02T03:04:05.678Z`, or `2025-01-02T03:04:05Z` when the milliseconds are zero. */
function rfc3339(value: unknown): string | null {
  const ms = storedTimestampMs(value);
  if (Number.isNaN(ms)) return null;
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

/** Whole seconds with a millisecond fraction when there is one: `PT0S`, `PT86400S`, `PT1.500S`, `-PT2S`. */
function isoDuration(ms: number): string {
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(Math.round(ms));
  const seconds = Math.floor(abs / 1000);
  const fraction = abs % 1000;
  return `${sign}PT${seconds}${fraction === 0 ? "" : `.${String(fraction).padStart(3, "0")}`}S`;
}
