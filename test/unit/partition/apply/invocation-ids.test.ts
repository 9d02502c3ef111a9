import { describe, expect, it } from "vitest";
import { randomPartitionKeyIn } from "../../../../partition/apply/invocation-ids.js";
import { partitionKeyRange, partitionOf } from "../../../../protocol/index.js";

describe("randomPartitionKeyIn", () => {
  it("draws keys of the given partitions only, each of them in turn", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const partition = partitionOf(randomPartitionKeyIn([1, 5, 6], 8), 8);
      expect([1, 5, 6]).toContain(partition);
      seen.add(partition);
    }
    expect([...seen].sort()).toEqual([1, 5, 6]);
  });

  it("stays inside the range of a partition at the ends of the key space", () => {
    for (const [partition, count] of [[0, 3], [2, 3], [0, 1]] as const) {
      const { start, end } = partitionKeyRange(partition, count);
      for (let i = 0; i < 100; i++) {
        const key = randomPartitionKeyIn([partition], count);
        expect(key >= start && key <= end).toBe(true);
      }
    }
  });
});
