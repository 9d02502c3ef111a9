import { describe, expect, it } from "vitest";
import { comparison, fileSafe, ratioOf } from "../../../../scripts/bench/ab-build.js";

describe("bench comparison", () => {
  it("without --ab: stet, restate and stet ÷ restate", () => {
    const c = comparison(undefined);
    expect(c.columns.map((col) => col.header)).toEqual(["stet", "restate"]);
    expect(c.ratioHeader).toBe("stet ÷ restate");
    expect(ratioOf(c, { stet: 300, restate: 200 })).toBe(1.5);
  });

  it("with --ab REF: A is stet at REF, B this tree's stet, the ratio B ÷ A", () => {
    const c = comparison("main~3");
    expect(c.columns).toEqual([
      { name: "stet@main~3", header: "A: stet@main~3" },
      { name: "stet", header: "B: stet" },
    ]);
    expect(c.ratioHeader).toBe("B ÷ A");
    expect(ratioOf(c, { "stet@main~3": 200, stet: 300 })).toBe(1.5);
  });

  it("has no ratio when a side is missing, not finite or the denominator is 0", () => {
    const c = comparison("HEAD~1");
    expect(ratioOf(c, { stet: 300 })).toBeNaN();
    expect(ratioOf(c, { "stet@HEAD~1": NaN, stet: 300 })).toBeNaN();
    expect(ratioOf(c, { "stet@HEAD~1": 0, stet: 300 })).toBeNaN();
  });

  it("names files after a server without the ref's path characters", () => {
    expect(fileSafe("stet@origin/main~3")).toBe("stet@origin_main_3");
    expect(fileSafe("stet@4acdb9b")).toBe("stet@4acdb9b");
    expect(fileSafe("restate")).toBe("restate");
  });
});
