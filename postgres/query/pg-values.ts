import type { ColumnDef } from "../../partition/query/system-tables.js";
import { decodeJournalEntry, entryJsonOf, parseCallee } from "../../partition/query/journal-entry.js";

/**
 * PostgreSQL's result values in the forms the result encoders take (server/query/json-rows.ts,
 * arrow-columns.ts; partition/query/sql-values.ts): 64-bit integers and numerics exact as bigints,
 * timestamps as ms since the epoch, lists as arrays of numbers or strings, and the journal columns the
 * reader computes decoded from their carrier (pg-dialect.ts).
 */

/** Type OIDs (pg_type) whose text the query connection reads itself. */
const TIMESTAMPTZ = 1184;
const TIMESTAMP = 1114;

/** pg's type parsers, with timestamps read as ms; integers and numerics stay text until a column's type says what they are. */
export function queryTypeParser(oid: number): ((text: string) => unknown) | undefined {
  return oid === TIMESTAMPTZ || oid === TIMESTAMP ? timestampMs : undefined;
}

/**
 * `2025-01-02 03:04:05.678+00` (DateStyle ISO; the zone is absent for timestamp without time zone, read
 * as UTC) in ms. Digits past milliseconds are dropped, as Arrow's Timestamp(ms) holds none.
 */
export function timestampMs(text: string): number | null {
  const match = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/.exec(text);
  // infinity, -infinity and dates BC have no place on the wire.
  if (match === null) return null;
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om, os] = match;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number((fraction ?? "").slice(0, 3).padEnd(3, "0")));
  const offset = sign === undefined ? 0 : (Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0)) * 1000;
  return sign === "-" ? utc + offset : utc - offset;
}

/** One row, in place: each value as its column's type wants it. */
export function normalizeRow(row: unknown[], columns: readonly ColumnDef[]): unknown[] {
  for (let i = 0; i < columns.length; i++) row[i] = normalizeValue(row[i], columns[i]!);
  return row;
}

function normalizeValue(value: unknown, column: ColumnDef): unknown {
  if (value === null || value === undefined) return null;
  if (column.computedBy !== undefined) return computeValue(column.computedBy, value);
  switch (column.type) {
    case "u32":
    case "u64":
    case "i64":
    case "decimal20":
    case "dur":
      return typeof value === "string" ? integer(value) : value;
    case "f64":
      return typeof value === "string" ? Number(value) : value;
    case "list_u32":
      return Array.isArray(value) ? value.map((v) => (v === null ? null : Number(v))) : value;
    default:
      return value;
  }
}

/** bigint/numeric text; a numeric with a fraction where an integer column was expected loses the fraction. */
function integer(text: string): bigint {
  return /^-?\d+$/.test(text) ? BigInt(text) : BigInt(Math.trunc(Number(text)));
}

/** The value of a column the reader computes (ComputedColumn) from what its SQL yielded. */
function computeValue(computedBy: string, value: unknown): unknown {
  switch (computedBy) {
    case "entry_json":
    case "entry_lite_json": {
      if (!Buffer.isBuffer(value)) return null;
      const { type, callee, frame } = readEntryCarrier(value);
      return entryJsonOf(decodeJournalEntry(type, frame), parseCallee(callee), computedBy === "entry_lite_json");
    }
    default:
      return value;
  }
}

/** The entry's type (int4, big-endian), its callee (UTF-8 up to a NUL) and its frame. */
function readEntryCarrier(carrier: Buffer): { type: number; callee: string; frame: Buffer } {
  const end = carrier.indexOf(0, 4);
  return { type: carrier.readInt32BE(0), callee: carrier.toString("utf8", 4, end), frame: carrier.subarray(end + 1) };
}
