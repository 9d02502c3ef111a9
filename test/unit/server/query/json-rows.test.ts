import { describe, expect, it } from "vitest";
import { JsonRowsEncoder, jsonRow, jsonValue } from "../../../../server/query/json-rows.js";

describe("jsonRow", () => {
  it("leaves nulls out and writes each type as Restate's /query does", () => {
    const columns = [
      { name: "id", type: "utf8" },
      { name: "missing", type: "utf8" },
      { name: "in_flight", type: "bool" },
      { name: "created_at", type: "ts" },
      { name: "completed_at", type: "ts" },
      { name: "journal_retention", type: "dur" },
      { name: "value", type: "bin" },
      { name: "services", type: "list_utf8" },
      { name: "n", type: "i64" },
    ] as const;
    const row = ["inv_1", null, 0, "2026-12-02T04:21:06.847Z", "2026-12-02T04:21:06.000Z", 86_400_000, Buffer.from("bob"), '["Greeter","Counter"]', 3n];
    expect(jsonRow(row, columns)).toEqual({
      id: "inv_1",
      in_flight: false,
      created_at: "2026-12-02T04:21:06.847Z",
      completed_at: "2026-12-02T04:21:06Z",
      journal_retention: "PT86400S",
      value: "626f62",
      services: ["Greeter", "Counter"],
      n: 3,
    });
    expect(JSON.stringify(jsonRow([null], [{ name: "a", type: "utf8" }]))).toBe("{}");
  });

  it("writes durations with a millisecond fraction only when there is one", () => {
    expect(jsonValue(0, "dur")).toBe("PT0S");
    expect(jsonValue(1_500, "dur")).toBe("PT1.500S");
    expect(jsonValue(60_001, "dur")).toBe("PT60.001S");
    expect(jsonValue(-2_000, "dur")).toBe("-PT2S");
    expect(jsonValue(1, "bool")).toBe(true);
    expect(jsonValue(Number.POSITIVE_INFINITY, "f64")).toBe(null);
  });

  it("writes Utf8 literals as strings and Decimal128(20, 0) values as exact numbers, as arrow-json does", () => {
    expect(jsonValue("pending", "small_utf8")).toBe("pending");
    expect(jsonValue(4n, "decimal20")).toBe(4);
    expect(jsonValue(18446744073709551615n, "decimal20")).toBe(18446744073709551615n);
  });

  it("streams {\"rows\":[…]} across batches, with 64-bit integers exact and repeated column names kept", () => {
    const encoder = new JsonRowsEncoder([
      { name: "partition_key", type: "u64" },
      { name: "id", type: "utf8" },
      { name: "id", type: "utf8" },
    ]);
    const body = Buffer.concat([
      encoder.start(),
      encoder.batch([[18446744073709551615n, "a", "b"]]),
      encoder.batch([]),
      encoder.batch([[7n, null, "c"], [null, null, null]]),
      encoder.end(),
    ]).toString();
    expect(body).toBe('{"rows":[{"partition_key":18446744073709551615,"id":"a","id":"b"},{"partition_key":7,"id":"c"},{}]}');
    const empty = new JsonRowsEncoder([{ name: "n", type: "i64" }]);
    expect(Buffer.concat([empty.start(), empty.end()]).toString()).toBe('{"rows":[]}');
  });
});
