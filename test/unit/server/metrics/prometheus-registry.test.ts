import { describe, expect, it } from "vitest";
import { EngineStats } from "../../../../server/metrics/engine-stats.js";
import { PrometheusEndpoint } from "../../../../server/metrics/metrics-endpoint.js";
import { parsePrometheusText, sampleValue } from "../../../helpers/prometheus-text.js";

function fakeSources() {
  const state = { live: 2, queued: 7, dropped: 1, segments: 1, written: 3, timers: 5, epochs: [4, null] as Array<number | null> };
  const stats = new EngineStats();
  const endpoint = new PrometheusEndpoint({
    stats,
    invoker: {
      get liveCount() {
        return state.live;
      },
      get queueLength() {
        return state.queued;
      },
      get droppedCount() {
        return state.dropped;
      },
      get spill() {
        return { segments: state.segments, written: state.written };
      },
    },
    partitions: { partitionCount: 2, epochOf: (p) => state.epochs[p] ?? null },
    timersPending: () => state.timers,
    dbFile: "/nonexistent/stet.db",
  });
  return { state, stats, endpoint };
}

describe("the Prometheus registry", () => {
  it("reads gauges and engine counters at scrape time, each scrape anew", async () => {
    const { state, stats, endpoint } = fakeSources();
    stats.ingressResponse("POST", "/Greeter/greet", 200);
    const first = parsePrometheusText((await endpoint.scrape()).body);
    expect(sampleValue(first, "stet_invoker_live_invocations")).toBe(2);
    expect(sampleValue(first, "stet_invoker_queue_length")).toBe(7);
    expect(sampleValue(first, "stet_invoker_queue_dropped_total")).toBe(1);
    expect(sampleValue(first, "stet_invoker_queue_spilled_segments")).toBe(1);
    expect(sampleValue(first, "stet_invoker_queue_spilled_segments_total")).toBe(3);
    expect(sampleValue(first, "stet_timers_pending")).toBe(5);
    expect(sampleValue(first, "stet_partition_leader", { partition: "0" })).toBe(1);
    expect(sampleValue(first, "stet_partition_leader_epoch", { partition: "0" })).toBe(4);
    expect(sampleValue(first, "stet_partition_leader", { partition: "1" })).toBe(0);
    expect(sampleValue(first, "stet_storage_file_size_bytes", { file: "db" })).toBe(0);
    expect(sampleValue(first, "stet_ingress_requests_total", { kind: "call", status: "200" })).toBe(1);

    Object.assign(state, { live: 0, dropped: 4, epochs: [null, 9] });
    stats.ingressResponse("POST", "/Greeter/greet", 200);
    const second = parsePrometheusText((await endpoint.scrape()).body);
    expect(sampleValue(second, "stet_invoker_live_invocations")).toBe(0);
    expect(sampleValue(second, "stet_invoker_queue_dropped_total")).toBe(4);
    expect(sampleValue(second, "stet_partition_leader", { partition: "0" })).toBe(0);
    expect(sampleValue(second, "stet_partition_leader_epoch", { partition: "1" })).toBe(9);
    // Copied from the engine's count, not added to the previous scrape's.
    expect(sampleValue(second, "stet_ingress_requests_total", { kind: "call", status: "200" })).toBe(2);
  });

  it("writes the engine's histograms as Prometheus histograms", async () => {
    const { stats, endpoint } = fakeSources();
    stats.committed(1, 0.0002);
    stats.committed(3, 0.003);
    const { contentType, body } = await endpoint.scrape();
    expect(contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(body).toContain("# TYPE stet_group_commit_batch_size histogram");
    const lines = body.split("\n").filter((l) => l.startsWith("stet_group_commit_batch_size"));
    expect(lines.slice(0, 3)).toEqual([
      'stet_group_commit_batch_size_bucket{le="1"} 1',
      'stet_group_commit_batch_size_bucket{le="2"} 1',
      'stet_group_commit_batch_size_bucket{le="4"} 2',
    ]);
    expect(lines.slice(-3)).toEqual([
      'stet_group_commit_batch_size_bucket{le="+Inf"} 2',
      "stet_group_commit_batch_size_sum 4",
      "stet_group_commit_batch_size_count 2",
    ]);
    const samples = parsePrometheusText(body);
    expect(sampleValue(samples, "stet_group_commit_duration_seconds_bucket", { le: "0.0005" })).toBe(1);
    expect(sampleValue(samples, "stet_group_commit_duration_seconds_bucket", { le: "0.005" })).toBe(2);
  });
});
