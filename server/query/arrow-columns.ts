import { makeData, vectorFromArray, type Data, type DataType } from "apache-arrow";
import { storedBool, storedList, storedTimestampMs } from "../../partition/query/sql-values.js";
import type { ColumnType } from "../../partition/query/system-tables.js";
import type { ResultRow } from "./result-encoder.js";

/**
 * One column of a record batch, built straight into Arrow's buffers (validity bitmap, offsets, values)
 * from the SQLite side's values (sql-values.ts). apache-arrow's generic builders (`vectorFromArray`)
 * cost ~10 µs a row on a journal scan; typed arrays filled in one pass cost a fraction of that. Lists,
 * rare in results, still go through the builders.
 */
export function columnData(type: DataType, columnType: ColumnType, rows: readonly ResultRow[], index: number): Data {
  const length = rows.length;
  if (columnType === "null") return make({ type, length, nullCount: length });
  if (columnType === "list_u32" || columnType === "list_utf8") {
    return vectorFromArray(
      rows.map((row) => (row[index] === null || row[index] === undefined ? null : storedList(row[index]))),
      type,
    ).data[0]!;
  }
  const nullBitmap = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  const valid = (i: number): boolean => {
    const v = rows[i]![index];
    if (v === null || v === undefined) {
      nullCount++;
      return false;
    }
    nullBitmap[i >> 3]! |= 1 << (i & 7);
    return true;
  };
  switch (columnType) {
    case "utf8":
    case "small_utf8":
    case "bin": {
      const bytes: Uint8Array[] = new Array<Uint8Array>(length);
      // Utf8 has 32-bit offsets; LargeUtf8 and LargeBinary 64-bit ones.
      const small = columnType === "small_utf8";
      const valueOffsets = small ? new Int32Array(length + 1) : new BigInt64Array(length + 1);
      let total = 0;
      for (let i = 0; i < length; i++) {
        const part = valid(i) ? toBytes(rows[i]![index]) : EMPTY;
        bytes[i] = part;
        total += part.length;
        valueOffsets[i + 1] = small ? total : (BigInt(total) as never);
      }
      const data = Buffer.allocUnsafe(total);
      let at = 0;
      for (const part of bytes) {
        data.set(part, at);
        at += part.length;
      }
      return make({ type, length, nullCount, nullBitmap, valueOffsets, data });
    }
    case "u32":
    case "f64": {
      const data = columnType === "u32" ? new Uint32Array(length) : new Float64Array(length);
      for (let i = 0; i < length; i++) if (valid(i)) data[i] = Number(rows[i]![index]);
      return make({ type, length, nullCount, nullBitmap, data });
    }
    case "u64":
    case "i64":
    case "dur":
    case "ts": {
      const data = columnType === "u64" ? new BigUint64Array(length) : new BigInt64Array(length);
      for (let i = 0; i < length; i++) if (valid(i)) data[i] = int64(rows[i]![index], columnType);
      return make({ type, length, nullCount, nullBitmap, data });
    }
    case "decimal20": {
      // Decimal128: 128-bit two's complement, four little-endian 32-bit words a value.
      const data = new Uint32Array(length * 4);
      for (let i = 0; i < length; i++) {
        if (!valid(i)) continue;
        let rest = BigInt.asUintN(128, int64(rows[i]![index], columnType));
        for (let w = 0; w < 4; w++) {
          data[i * 4 + w] = Number(rest & 0xffff_ffffn);
          rest >>= 32n;
        }
      }
      return make({ type, length, nullCount, nullBitmap, data });
    }
    case "bool": {
      const data = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++) if (valid(i) && storedBool(rows[i]![index])) data[i >> 3]! |= 1 << (i & 7);
      return make({ type, length, nullCount, nullBitmap, data });
    }
  }
}

const EMPTY = new Uint8Array(0);
// The buffers are given ready-made; makeData's overloads are typed per data type, which this dispatches on.
const make = makeData as unknown as (props: { type: DataType } & Record<string, unknown>) => Data;

function toBytes(value: unknown): Uint8Array {
  return Buffer.isBuffer(value) ? value : Buffer.from(String(value), "utf8");
}

/** 64-bit values: integers arrive as bigints (or numbers), timestamps as ISO text (stored as ms). */
function int64(value: unknown, columnType: ColumnType): bigint {
  if (columnType === "ts") return BigInt(storedTimestampMs(value));
  return typeof value === "bigint" ? value : BigInt(Math.trunc(Number(value)));
}
