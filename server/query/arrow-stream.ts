import {
  Bool,
  Decimal,
  DurationMillisecond,
  Field,
  Float64,
  Int64,
  LargeBinary,
  LargeUtf8,
  List,
  Null,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMillisecond,
  Uint32,
  Uint64,
  Utf8,
  makeData,
  tableToIPC,
  type DataType,
} from "apache-arrow";
import type { ColumnDef, ColumnType } from "../../partition/query/system-tables.js";
import { columnData } from "./arrow-columns.js";
import type { ResultEncoder, ResultRow } from "./result-encoder.js";

/**
 * `POST /query` results as an Arrow IPC stream, which Restate's CLI reads for `restate sql` and its
 * counts: the column types of Restate 1.7's tables (LargeUtf8 strings, UInt64, Timestamp(ms, "+00:00"),
 * Duration(ms), LargeBinary, lists), Int64 counts (the CLI reads a count as Int64 and fails on any
 * other type), and each field's nullability as DataFusion reports it. The schema goes first, even when
 * no row follows; then one record batch per batch of rows, each encoded as it comes, so a large result
 * is never held whole.
 */
export class ArrowStreamEncoder implements ResultEncoder {
  readonly contentType = "application/vnd.apache.arrow.stream";
  readonly #schema: Schema;

  constructor(readonly columns: readonly ColumnDef[]) {
    this.#schema = new Schema(columns.map((c) => new Field(c.name, arrowType(c.type), c.nullable !== false)));
  }

  start(): Uint8Array {
    return withoutEnd(tableToIPC(new Table(this.#schema), "stream"));
  }

  batch(rows: readonly ResultRow[]): Uint8Array {
    if (rows.length === 0) return new Uint8Array(0);
    const children = this.#schema.fields.map((field, i) => columnData(field.type, this.columns[i]!.type, rows, i));
    const batch = new RecordBatch(this.#schema, makeData({ type: new Struct(this.#schema.fields), length: rows.length, nullCount: 0, children }));
    // A one-batch stream is the schema message, the batch message and the end marker: keep the batch.
    const stream = tableToIPC(new Table([batch]), "stream");
    return withoutEnd(stream.subarray(messageLength(stream, 0)));
  }

  end(): Uint8Array {
    return END_OF_STREAM.slice();
  }
}

/** The whole result in one IPC stream (tests, small results). */
export function arrowStream(rows: readonly ResultRow[], columns: readonly ColumnDef[]): Uint8Array {
  const encoder = new ArrowStreamEncoder(columns);
  return Buffer.concat([encoder.start(), encoder.batch(rows), encoder.end()]);
}

/** The IPC stream's end marker: a continuation token and a zero length. */
const END_OF_STREAM = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);

function withoutEnd(stream: Uint8Array): Uint8Array {
  return stream.subarray(0, stream.length - END_OF_STREAM.length);
}

/** Bytes of the message at `offset`: continuation, metadata length, metadata (a schema has no body). */
function messageLength(stream: Uint8Array, offset: number): number {
  const view = new DataView(stream.buffer, stream.byteOffset + offset);
  return 8 + view.getInt32(4, true);
}

function arrowType(type: ColumnType): DataType {
  switch (type) {
    case "utf8":
      return new LargeUtf8();
    case "small_utf8":
      return new Utf8();
    case "u32":
      return new Uint32();
    case "u64":
      return new Uint64();
    case "i64":
      return new Int64();
    case "f64":
      return new Float64();
    case "decimal20":
      return new Decimal(0, 20, 128);
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
      return new List(new Field("item", new LargeUtf8(), true));
    case "null":
      return new Null();
  }
}
