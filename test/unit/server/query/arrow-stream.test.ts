import { tableFromIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { ArrowStreamEncoder, arrowStream } from "../../../../server/query/arrow-stream.js";

// Read back with apache-arrow's own reader: the types Restate's CLI decodes, and the values.

describe("arrowStream", () => {
  it("writes Restate's column types and the values, counts as Int64", () => {
    const columns = [
      { name: "id", type: "utf8" },
      { name: "count", type: "i64" },
      { name: "retry_count", type: "u64" },
      { name: "in_flight", type: "bool" },
      { name: "created_at", type: "ts" },
      { name: "journal_retention", type: "dur" },
      { name: "value", type: "bin" },
      { name: "services", type: "list_utf8" },
      { name: "nothing", type: "null" },
    ] as const;
    const rows = [
      ["inv_1", 3, 2, 1, "2026-12-02T04:21:06.847Z", 86_400_000, Buffer.from("bob"), '["A","B"]', null],
      [null, 0, null, 0, null, null, null, null, null],
    ];
    const table = tableFromIPC(arrowStream(rows, columns));
    expect(table.schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
      ["id", "LargeUtf8"],
      ["count", "Int64"],
      ["retry_count", "Uint64"],
      ["in_flight", "Bool"],
      ["created_at", "Timestamp<MILLISECOND, +00:00>"],
      ["journal_retention", "Duration<MILLISECOND>"],
      ["value", "LargeBinary"],
      ["services", "List<LargeUtf8>"],
      ["nothing", "Null"],
    ]);
    expect(table.numRows).toBe(2);
    const first = table.get(0)!.toJSON();
    expect(first["id"]).toBe("inv_1");
    expect(first["count"]).toBe(3n);
    expect(first["retry_count"]).toBe(2n);
    expect(first["in_flight"]).toBe(true);
    expect(Number(first["created_at"])).toBe(Date.parse("2026-12-02T04:21:06.847Z"));
    expect(Number(first["journal_retention"])).toBe(86_400_000);
    expect(Buffer.from(first["value"] as Uint8Array).toString()).toBe("bob");
    expect([...(first["services"] as Iterable<string>)]).toEqual(["A", "B"]);
    const second = table.get(1)!.toJSON();
    expect(second["id"]).toBe(null);
    expect(second["count"]).toBe(0n);
    expect(second["nothing"]).toBe(null);
  });

  it("writes string literals as Utf8, Decimal128(20, 0) values, and the fields' nullability", () => {
    const columns = [
      { name: "status", type: "small_utf8", nullable: false },
      { name: "size", type: "decimal20", nullable: false },
      { name: "maybe", type: "decimal20" },
    ] as const;
    const table = tableFromIPC(arrowStream([["pending", 5n, -3], ["ready", 18446744073709551615n, null]], columns));
    expect(table.schema.fields.map((f) => [f.name, String(f.type), f.nullable])).toEqual([
      ["status", "Utf8", false],
      ["size", "Decimal[20e0]", false],
      ["maybe", "Decimal[20e0]", true],
    ]);
    const values = (i: number) => [...table.getChildAt(i)!].map((v) => (v === null ? null : String(v)));
    expect(values(0)).toEqual(["pending", "ready"]);
    expect(values(1)).toEqual(["5", "18446744073709551615"]);
    expect(values(2)).toEqual(["-3", null]);
  });

  it("sends the schema when there are no rows", () => {
    const table = tableFromIPC(arrowStream([], [{ name: "count", type: "i64" }]));
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((f) => String(f.type))).toEqual(["Int64"]);
  });

  it("streams the schema, then one record batch per batch, then the end marker", () => {
    const encoder = new ArrowStreamEncoder([
      { name: "id", type: "utf8" },
      { name: "id", type: "utf8" },
      { name: "partition_key", type: "u64" },
    ]);
    const chunks = [encoder.start(), encoder.batch([["a", "b", 18446744073709551615n]]), encoder.batch([]), encoder.batch([["c", null, 1n], ["d", "e", null]]), encoder.end()];
    const table = tableFromIPC(Buffer.concat(chunks));
    expect(table.batches.length).toBe(2);
    expect(table.numRows).toBe(3);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["id", "id", "partition_key"]);
    expect([0, 1, 2].map((i) => table.batches.flatMap((b) => [...b.getChildAt(i)!]))).toEqual([
      ["a", "c", "d"],
      ["b", null, "e"],
      [18446744073709551615n, 1n, null],
    ]);
  });
});
