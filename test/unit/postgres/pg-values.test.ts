import { describe, expect, it } from "vitest";
import { normalizeRow, timestampMs } from "../../../postgres/query/pg-values.js";
import type { ColumnDef } from "../../../partition/query/system-tables.js";

// PostgreSQL's answers in the forms the /query encoders take: no precision lost on the way.

describe("timestampMs", () => {
  it("reads PostgreSQL's ISO output in any zone, to the millisecond", () => {
    expect(timestampMs("2025-01-02 03:04:05+00")).toBe(Date.parse("2025-01-02T03:04:05Z"));
    expect(timestampMs("2025-01-02 03:04:05.678+00")).toBe(Date.parse("2025-01-02T03:04:05.678Z"));
    expect(timestampMs("2025-01-02 03:04:05.6789+00")).toBe(Date.parse("2025-01-02T03:04:05.678Z"));
    expect(timestampMs("2025-01-02 03:04:05.5")).toBe(Date.parse("2025-01-02T03:04:05.500Z"));
    expect(timestampMs("2025-01-02 05:34:05+02:30")).toBe(Date.parse("2025-01-02T03:04:05Z"));
    expect(timestampMs("2025-01-01 22:04:05-05")).toBe(Date.parse("2025-01-02T03:04:05Z"));
    expect(timestampMs("1969-12-31 23:59:59.999+00")).toBe(-1);
    expect([timestampMs("infinity"), timestampMs("-infinity"), timestampMs("0044-03-15 00:00:00+00 BC")]).toEqual([null, null, null]);
  });
});

describe("normalizeRow", () => {
  const col = (type: ColumnDef["type"], computedBy?: string): ColumnDef => ({ name: type, type, ...(computedBy === undefined ? {} : { computedBy }) });

  it("keeps 64-bit integers and numerics exact, floats as numbers, lists of numbers as numbers", () => {
    const row = normalizeRow(
      ["18446744073709551615", "-9223372036854775808", "12.0", "2.5", ["1", null, "3"], 7, true, "text"],
      [col("u64"), col("i64"), col("decimal20"), col("f64"), col("list_u32"), col("u32"), col("bool"), col("utf8")],
    );
    expect(row).toEqual([18446744073709551615n, -9223372036854775808n, 12n, 2.5, [1, null, 3], 7, true, "text"]);
  });

  it("decodes a journal entry the reader computes from its carrier: type, callee, frame", () => {
    const frame = Buffer.from("0000000000000000", "hex"); // an empty Input command's frame: header only
    frame.writeUInt16BE(0x0400, 0);
    const carrier = Buffer.concat([Buffer.from([0, 0, 4, 0]), Buffer.from("\0"), frame]);
    const [json, lite, none] = normalizeRow([carrier, carrier, null], [col("utf8", "entry_json"), col("utf8", "entry_lite_json"), col("utf8", "entry_json")]);
    expect(JSON.parse(String(json))).toEqual({ Command: { Input: { headers: [], payload: [], name: "" } } });
    expect(JSON.parse(String(lite))).toEqual({ Command: { Input: {} } });
    expect(none).toBeNull();
  });
});
