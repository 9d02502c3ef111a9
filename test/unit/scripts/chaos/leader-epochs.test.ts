import { describe, expect, it } from "vitest";
import { parseLeaderEpochs } from "../../../../scripts/chaos/leader-epochs.js";

describe("parseLeaderEpochs", () => {
  it("keeps the partitions a node leads (epoch > 0) and ignores every other sample", () => {
    const text = [
      "# HELP stet_partition_leader_epoch The leader epoch under which this node leads the partition; 0 while it does not.",
      "# TYPE stet_partition_leader_epoch gauge",
      'stet_partition_leader_epoch{partition="0"} 7',
      'stet_partition_leader_epoch{partition="1"} 0',
      'stet_partition_leader_epoch{partition="12"} 3',
      'stet_partition_leader{partition="0"} 1',
      "stet_timers_pending 4",
    ].join("\n");
    expect([...parseLeaderEpochs(text)]).toEqual([
      [0, 7],
      [12, 3],
    ]);
  });

  it("a node that leads nothing", () => {
    expect(parseLeaderEpochs('stet_partition_leader_epoch{partition="0"} 0\n').size).toBe(0);
  });
});
