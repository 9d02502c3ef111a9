import { describe, expect, it } from "vitest";
import { contenders, notOnPostgres } from "../../../../scripts/bench/stores.js";

describe("bench --store and --servers", () => {
  it("without --store: stet and restate, as before", () => {
    expect(contenders(undefined, undefined)).toEqual([
      { name: "stet", kind: "stet" },
      { name: "restate", kind: "restate" },
    ]);
    expect(contenders("stet", undefined)).toEqual([{ name: "stet", kind: "stet" }]);
  });

  it("--store postgres adds stet-pg and stet-pg3: the stet build on PostgreSQL, one node and three", () => {
    expect(contenders(undefined, "postgres")).toEqual([
      { name: "stet", kind: "stet" },
      { name: "stet-pg", kind: "stet", store: "postgres" },
      { name: "stet-pg3", kind: "stet", store: "postgres", nodes: 3 },
      { name: "restate", kind: "restate" },
    ]);
    expect(contenders("stet-pg,restate", "postgres").map((c) => c.name)).toEqual(["stet-pg", "restate"]);
    expect(contenders("stet-pg3", "postgres").map((c) => c.name)).toEqual(["stet-pg3"]);
  });

  it("refuses an unknown store or server, and stet-pg or stet-pg3 without --store postgres", () => {
    expect(() => contenders(undefined, "mysql")).toThrow(/--store: unknown store 'mysql'/);
    expect(() => contenders("stet,foo", undefined)).toThrow(/--servers: unknown server 'foo'/);
    expect(() => contenders("stet-pg", undefined)).toThrow(/stet-pg needs --store postgres/);
    expect(() => contenders("stet-pg3", undefined)).toThrow(/stet-pg3 needs --store postgres/);
  });

  it("says why the items that cannot run on PostgreSQL yet are skipped, and skips no workload", () => {
    expect(notOnPostgres("QUERY")).toMatch(/not adapted to PostgreSQL/);
    for (const item of ["STARTUP", "SCALE", "RETENTION"]) expect(notOnPostgres(item)).toMatch(/skipped for stet-pg/);
    for (const item of ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "R"]) expect(notOnPostgres(item)).toBeUndefined();
  });
});
