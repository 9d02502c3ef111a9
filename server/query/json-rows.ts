import { storedBool, storedList, storedTimestampMs } from "../../partition/query/sql-values.js";
import type { ColumnDef } from "../../partition/query/system-tables.js";
import type { ResultEncoder, ResultRow } from "./result-encoder.js";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * `POST /query` results as JSON, `{"rows":[…]}`, value by value as Restate 1.7 writes them (its arrow-json
 * writer): nulls left out of the row, booleans as true/false, timestamps as RFC 3339 UTC with a fraction
 * only when it is not zero, durations as ISO 8601 seconds (`PT86400S`, `PT1.500S`), binary as lowercase
 * hex, lists as arrays, 64-bit integers as exact numbers. Input values are what the SQLite side produces
 * (sql-values.ts).
 */
export class JsonRowsEncoder implements ResultEncoder {
  readonly contentType = "application/json";
  readonly #keys: readonly string[];
  #first = true;

  constructor(readonly columns: readonly ColumnDef[]) {
    this.#keys = columns.map((c) => `${JSON.stringify(c.name)}:`);
  }

  start(): Uint8Array {
    return Buffer.from('{"rows":[');
  }

  batch(rows: readonly ResultRow[]): Uint8Array {
    let text = "";
    for (const row of rows) {
      text += this.#first ? jsonRowText(row, this.columns, this.#keys) : `,${jsonRowText(row, this.columns, this.#keys)}`;
      this.#first = false;
    }
    return Buffer.from(text);
  }

  end(): Uint8Array {
    return Buffer.from("]}");
  }
}

/** One row as a JSON object (values by column position). */
export function jsonRow(row: ResultRow, columns: readonly ColumnDef[]): Record<string, unknown> {
  return JSON.parse(jsonRowText(row, columns, columns.map((c) => `${JSON.stringify(c.name)}:`))) as Record<string, unknown>;
}

function jsonRowText(row: ResultRow, columns: readonly ColumnDef[], keys: readonly string[]): string {
  let text = "";
  for (let i = 0; i < columns.length; i++) {
    const value = jsonValue(row[i], columns[i]!.type);
    if (value === null) continue;
    // JSON.stringify cannot write a bigint; its digits are the exact JSON number.
    text += `${text === "" ? "" : ","}${keys[i]}${typeof value === "bigint" ? value.toString() : JSON.stringify(value)}`;
  }
  return `{${text}}`;
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
    case "decimal20":
      // Exact beyond 2^53 (partition keys): small bigints become numbers, large ones stay bigints.
      return typeof value === "bigint" && value >= -MAX_SAFE && value <= MAX_SAFE ? Number(value) : value;
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
