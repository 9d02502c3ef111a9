import { describe, expect, it } from "vitest";
import { leaseMsOf, probeKeyIn } from "../../../../scripts/bench/failover.js";
import { partitionKeyForKey, partitionOf } from "../../../../protocol/index.js";

describe("bench FAILOVER", () => {
  it("reads --failover-lease as seconds or milliseconds, and refuses anything else", () => {
    expect(leaseMsOf("2s")).toBe(2000);
    expect(leaseMsOf("1.5s")).toBe(1500);
    expect(leaseMsOf("750ms")).toBe(750);
    for (const bad of ["2", "2 s", "2m", "", "-1s"]) expect(leaseMsOf(bad)).toBeUndefined();
  });

  it("probes each partition with a Counter key that partition serves", () => {
    for (let p = 0; p < 8; p++) expect(partitionOf(partitionKeyForKey("Counter", probeKeyIn(p, 8)), 8)).toBe(p);
  });
});
