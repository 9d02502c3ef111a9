import {
  Bool,
  DurationMillisecond,
  Field,
  Float64,
  Int64,
  LargeBinary,
  LargeUtf8,
  List,
  Null,
  Schema,
  Table,
  TimestampMillisecond,
  Uint32,
  Uint64,
  Utf8,
  makeData,
  makeVector,
  tableToIPC,
  vectorFromArray,
  type DataType,
  type Vector,
} from "apache-arrow";
import { storedBool, storedList, storedTimestampMs } from "../../partition/query/sql-values.js";
import type { ColumnDef, ColumnType } from "../../partition/query/system-tables.js";

/**
 * `POST /query` results as an Arrow IPC stream, which Restate's CLI reads for `restate sql` and its
 * counts: the column types of Restate 1.7's tables (LargeUtf8 strings, UInt64, Timestamp(ms, "+00:00"),
 * Duration(ms), LargeBinary, lists), and Int64 counts (the CLI reads a count as Int64 and fails on any
 * other type). The schema is sent even when there are no rows.
 */
export function arrowStream(rows: ReadonlyArray<Readonly<Record<string, unknown>>>, columns: readonly ColumnDef[]): Uint8Array {
  const fields = columns.map((c) => new Field(c.name, arrowType(c.type), true));
  const vectors: Record<string, Vector> = {};
  columns.forEach((column, i) => {
    const type = fields[i]!.type;
    const values = rows.map((row) => arrowValue(row[column.name], column.type));
    vectors[column.name] = type instanceof Null ? makeVector(makeData({ type, length: rows.length, nullCount: rows.length })) : vectorFromArray(values, type);
  });
  const table = columns.length === 0 ? new Table(new Schema([])) : new Table(new Schema(fields), vectors);
  return tableToIPC(table, "stream");
}

function arrowType(type: ColumnType): DataType {
  switch (type) {
    case "utf8":
      return new LargeUtf8();
    case "u32":
      return new Uint32();
    case "u64":
      return new Uint64();
    case "i64":
      return new Int64();
    case "f64":
      return new Float64();
    case "bool":
      return new Bool();
    case "ts":
      return new TimestampMillisecond("+00:00");
    case "dur":
      return new DurationMillisecond();
    case "bin":
      return new LargeBinary();
    case "list_u32":
      return new List(new Field("item", new Uint32(), true));
    case "list_utf8":
      return new List(new Field("item", new Utf8(), true));
    case "null":
      return new Null();
  }
}

/** A value from the SQLite side (sql-values.ts) as the Arrow builders take it. */
function arrowValue(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "u64":
    case "i64":
      return typeof value === "bigint" ? value : BigInt(Math.trunc(Number(value)));
    case "u32":
    case "f64":
      return Number(value);
    case "bool":
      return storedBool(value);
    case "ts":
      return storedTimestampMs(value);
    case "dur":
      // Stored as int64: the builder takes a bigint.
      return BigInt(Math.trunc(Number(value)));
    case "bin":
      return Buffer.isBuffer(value) ? new Uint8Array(value) : new TextEncoder().encode(String(value));
    case "list_u32":
    case "list_utf8":
      return storedList(value);
    default:
      return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
  }
}
