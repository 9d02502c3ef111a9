import { tableFromIPC } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { arrowStream } from "../../../../server/query/arrow-stream.js";

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
      { id: "inv_1", count: 3, retry_count: 2, in_flight: 1, created_at: "2026-12-02T04:21:06.847Z", journal_retention: 86_400_000, value: Buffer.from("bob"), services: '["A","B"]' },
      { id: null, count: 0, retry_count: null, in_flight: 0, created_at: null, journal_retention: null, value: null, services: null },
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
      ["services", "List<Utf8>"],
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

  it("sends the schema when there are no rows", () => {
    const table = tableFromIPC(arrowStream([], [{ name: "count", type: "i64" }]));
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((f) => String(f.type))).toEqual(["Int64"]);
  });
});
