import { describe, expect, it } from "vitest";
import { parsePrometheus, partitionsFromMetrics } from "../../../ui/src/api/metrics.js";
import { niceMax } from "../../../ui/src/chart-scale.js";

describe("the overview's partitions, read from /metrics", () => {
  const TEXT = [
    "# HELP stet_partition_leader 1 while this node leads the partition, else 0.",
    "# TYPE stet_partition_leader gauge",
    'stet_partition_leader{partition="1"} 0',
    'stet_partition_leader{partition="0"} 1',
    'stet_partition_leader_epoch{partition="0"} 7',
    'stet_partition_leader_epoch{partition="1"} 0',
    'other_metric{a="x\\"y",b="2"} 1.5 1700000000',
    "process_cpu_seconds_total 3.5",
    "",
  ].join("\n");

  it("parses samples with their labels, skipping comments", () => {
    expect(parsePrometheus(TEXT).slice(4)).toEqual([
      { name: "other_metric", labels: { a: 'x"y', b: "2" }, value: 1.5 },
      { name: "process_cpu_seconds_total", labels: {}, value: 3.5 },
    ]);
  });

  it("gives each partition its leadership and epoch, in order", () => {
    expect(partitionsFromMetrics(parsePrometheus(TEXT))).toEqual([
      { partition: 0, ledHere: true, epoch: 7 },
      { partition: 1, ledHere: false, epoch: 0 },
    ]);
  });

  it("rounds the chart's axis up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 1, 3, 7, 10, 11, 78, 180, 5001].map(niceMax)).toEqual([1, 1, 5, 10, 10, 20, 100, 200, 10000]);
  });
});
