import { DataType, tableFromIPC, type Field } from "apache-arrow";
import type { Target } from "./harness.js";

/**
 * `POST /query` as the official clients send it, and its answer as a comparable record: JSON rows
 * (`Accept: application/json`, what the web UI and most CLI commands read) or an Arrow IPC stream read
 * back with apache-arrow (no Accept, what `restate sql` and the CLI's counts read), with the schema's
 * field names, types and nullability.
 */

export type QueryFormat = "json" | "arrow";

/** A comparable answer: status, content-type (raw: the CLI compares it whole), then fields and rows, or the error. */
export interface QueryRecord {
  readonly status: number;
  readonly contentType: string | null;
  readonly fields?: readonly string[];
  readonly rows?: ReadonlyArray<Record<string, unknown>>;
  readonly error?: string;
}

export async function postQuery(t: Target, sql: string, format: QueryFormat): Promise<QueryRecord> {
  const res = await fetch(`${t.adminUrl}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(format === "json" ? { accept: "application/json" } : {}) },
    body: JSON.stringify({ query: sql }),
    signal: AbortSignal.timeout(20_000),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const contentType = res.headers.get("content-type");
  if (res.status !== 200) return { status: res.status, contentType, error: Buffer.from(bytes).toString("utf8") };
  if (format === "json") {
    const { rows } = JSON.parse(Buffer.from(bytes).toString("utf8")) as { rows: Array<Record<string, unknown>> };
    return { status: res.status, contentType, rows };
  }
  return { status: res.status, contentType, ...arrowRecord(bytes) };
}

/** An Arrow IPC stream as field descriptions (`name: Type`, `NOT NULL` when so) and plain rows. */
export function arrowRecord(bytes: Uint8Array): { fields: string[]; rows: Array<Record<string, unknown>> } {
  const table = tableFromIPC(bytes);
  const fields = table.schema.fields;
  const rows: Array<Record<string, unknown>> = [];
  for (let r = 0; r < table.numRows; r++) {
    rows.push(Object.fromEntries(fields.map((f, i) => [f.name, plainValue(table.getChildAt(i)!.get(r), f.type as DataType)])));
  }
  return { fields: fields.map(describeField), rows };
}

function describeField(field: Field): string {
  const type = field.type as DataType;
  // apache-arrow prints a list as List<Utf8>; the item field's own nullability matters too.
  const shown = DataType.isList(type) ? `List<${describeField(type.children[0]!)}>` : String(type);
  return `${field.name}: ${shown}${field.nullable ? "" : " NOT NULL"}`;
}

/** An Arrow value as JSON would carry it: instants as ISO text (the harness replaces them), bytes as hex. */
function plainValue(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  if (DataType.isTimestamp(type)) return new Date(Number(value)).toISOString();
  if (DataType.isDecimal(type)) return Number(String(value));
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (DataType.isList(type)) return [...(value as Iterable<unknown>)].map((item) => plainValue(item, type.children[0]!.type as DataType));
  return value;
}

/** The record without the columns named (their values, not the schema's fields: those stay compared). */
export function withoutColumns(record: QueryRecord, columns: readonly string[]): QueryRecord {
  if (record.rows === undefined || columns.length === 0) return record;
  return { ...record, rows: record.rows.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !columns.includes(k)))) };
}

/** Sorts a normalized record's rows: for statements whose SQL leaves the order open. */
export function sortedRows(normalized: unknown): unknown {
  const record = normalized as QueryRecord;
  if (record.rows === undefined) return record;
  return { ...record, rows: [...record.rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0)) };
}
