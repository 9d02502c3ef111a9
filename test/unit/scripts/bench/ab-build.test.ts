import { describe, expect, it } from "vitest";
import { comparison, fileSafe, ratioOf } from "../../../../scripts/bench/ab-build.js";

describe("bench comparison", () => {
  it("without --ab: stet, restate and stet ÷ restate", () => {
    const c = comparison(undefined);
    expect(c.columns.map((col) => col.header)).toEqual(["stet", "restate"]);
    expect(c.ratios.map((r) => r.header)).toEqual(["stet ÷ restate"]);
    expect(ratioOf(c.ratios[0]!, { stet: 300, restate: 200 })).toBe(1.5);
  });

  it("with --ab REF: A is stet at REF, B this tree's stet, the ratio B ÷ A", () => {
    const c = comparison("main~3");
    expect(c.columns).toEqual([
      { name: "stet@main~3", header: "A: stet@main~3" },
      { name: "stet", header: "B: stet" },
    ]);
    expect(c.ratios.map((r) => r.header)).toEqual(["B ÷ A"]);
    expect(ratioOf(c.ratios[0]!, { "stet@main~3": 200, stet: 300 })).toBe(1.5);
  });

  it("has no ratio when a side is missing, not finite or the denominator is 0", () => {
    const r = comparison("HEAD~1").ratios[0]!;
    expect(ratioOf(r, { stet: 300 })).toBeNaN();
    expect(ratioOf(r, { "stet@HEAD~1": NaN, stet: 300 })).toBeNaN();
    expect(ratioOf(r, { "stet@HEAD~1": 0, stet: 300 })).toBeNaN();
  });

  it("without stet-pg among the servers: the two columns of a run without --store, whatever --servers says", () => {
    expect(comparison(undefined, ["stet"])).toEqual(comparison(undefined));
    expect(comparison(undefined, ["restate", "stet"])).toEqual(comparison(undefined));
  });

  it("with stet-pg: a column per server (stet, stet-pg, restate), each stet against restate and stet-pg against stet", () => {
    const c = comparison(undefined, ["restate", "stet-pg", "stet"]);
    expect(c.columns.map((col) => col.name)).toEqual(["stet", "stet-pg", "restate"]);
    expect(c.ratios.map((r) => r.header)).toEqual(["stet ÷ restate", "stet-pg ÷ restate", "stet-pg ÷ stet"]);
    const values = { stet: 300, "stet-pg": 150, restate: 200 };
    expect(c.ratios.map((r) => ratioOf(r, values))).toEqual([1.5, 0.75, 0.5]);
  });

  it("with stet-pg: only the ratios whose two servers run", () => {
    const c = comparison(undefined, ["stet-pg", "restate"]);
    expect(c.columns.map((col) => col.name)).toEqual(["stet-pg", "restate"]);
    expect(c.ratios.map((r) => r.header)).toEqual(["stet-pg ÷ restate"]);
    expect(comparison(undefined, ["stet-pg"]).ratios).toEqual([]);
  });

  it("with stet-pg3: its column after stet-pg, compared to restate and to stet-pg", () => {
    const c = comparison(undefined, ["stet", "stet-pg", "stet-pg3", "restate"]);
    expect(c.columns.map((col) => col.name)).toEqual(["stet", "stet-pg", "stet-pg3", "restate"]);
    expect(c.ratios.map((r) => r.header)).toEqual(["stet ÷ restate", "stet-pg ÷ restate", "stet-pg3 ÷ restate", "stet-pg ÷ stet", "stet-pg3 ÷ stet-pg"]);
    expect(comparison(undefined, ["stet-pg3", "restate"]).ratios.map((r) => r.header)).toEqual(["stet-pg3 ÷ restate"]);
  });

  it("names files after a server without the ref's path characters", () => {
    expect(fileSafe("stet@origin/main~3")).toBe("stet@origin_main_3");
    expect(fileSafe("stet@4acdb9b")).toBe("stet@4acdb9b");
    expect(fileSafe("restate")).toBe("restate");
  });
});
