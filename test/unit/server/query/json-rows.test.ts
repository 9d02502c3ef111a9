import { describe, expect, it } from "vitest";
import { jsonRow, jsonValue } from "../../../../server/query/json-rows.js";

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
    const row = {
      id: "inv_1",
      missing: null,
      in_flight: 0,
      created_at: "2026-12-02T04:21:06.847Z",
      completed_at: "2026-12-02T04:21:06.000Z",
      journal_retention: 86_400_000,
      value: Buffer.from("bob"),
      services: '["Greeter","Counter"]',
      n: 3n,
    };
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
    expect(JSON.stringify(jsonRow({ a: null }, [{ name: "a", type: "utf8" }]))).toBe("{}");
  });

  it("writes durations with a millisecond fraction only when there is one", () => {
    expect(jsonValue(0, "dur")).toBe("PT0S");
    expect(jsonValue(1_500, "dur")).toBe("PT1.500S");
    expect(jsonValue(60_001, "dur")).toBe("PT60.001S");
    expect(jsonValue(-2_000, "dur")).toBe("-PT2S");
    expect(jsonValue(1, "bool")).toBe(true);
    expect(jsonValue(Number.POSITIVE_INFINITY, "f64")).toBe(null);
  });
});
