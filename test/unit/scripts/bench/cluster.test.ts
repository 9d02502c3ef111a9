import { describe, expect, it } from "vitest";
import { evenlySpread } from "../../../../scripts/bench/cluster.js";

describe("bench cluster spread", () => {
  it("is even when every partition has one leader and each node leads P/N rounded down or up", () => {
    expect(evenlySpread([new Set([0, 3, 6]), new Set([1, 4, 7]), new Set([2, 5])], 8)).toBe(true);
    expect(evenlySpread([new Set([0, 1, 2, 3]), new Set([4, 5, 6, 7])], 8)).toBe(true);
  });

  it("is not while a partition is unled, led twice, or a node leads more than its share", () => {
    expect(evenlySpread([new Set([0, 3, 6]), new Set([1, 4, 7]), new Set([2])], 8)).toBe(false);
    expect(evenlySpread([new Set([0, 3, 6]), new Set([1, 4, 7]), new Set([2, 5, 6])], 8)).toBe(false);
    expect(evenlySpread([new Set([0, 1, 2, 3, 4]), new Set([5, 6]), new Set([7])], 8)).toBe(false);
    expect(evenlySpread([new Set([0, 1, 2, 3, 4, 5, 6, 7]), new Set(), new Set()], 8)).toBe(false);
  });
});
