import { statSync } from "node:fs";
import type * as PromClient from "prom-client";
import type { BucketHistogram } from "./bucket-histogram.js";
import type { EngineStats } from "./engine-stats.js";
import type { LabeledCounter } from "./labeled-counter.js";

/** What a scrape reads, on demand: nothing here is updated as the engine works. */
export interface MetricsSources {
  readonly stats: EngineStats;
  readonly invoker: {
    readonly liveCount: number;
    readonly queueLength: number;
    readonly droppedCount: number;
    readonly spill: { readonly segments: number; readonly written: number };
  };
  readonly partitions: {
    readonly partitionCount: number;
    /** The partition's leader epoch while this node leads it; null otherwise. */
    epochOf(partition: number): number | null;
  };
  /** Timers stored and not yet fired (one SQL count). */
  timersPending(): number;
  /** The SQLite file; its WAL is the same path with `-wal`. */
  readonly dbFile: string;
}

/**
 * Builds the Prometheus registry: prom-client's default process and Node.js metrics (event-loop lag
 * included), and stet's, each read from `sources` when scraped (`collect`). Called on the first scrape,
 * so that startup does not pay for it: `require("prom-client")` takes ~60 ms unbundled, and the bin's
 * first scrape (loading prom-client from the bundle, building this) took 20–38 ms (medians of 9–15
 * starts on the 2-core machine), against ~350–500 ms from spawn to healthy.
 */
export async function buildPrometheusRegistry(sources: MetricsSources): Promise<PromClient.Registry> {
  const prom = await import("prom-client");
  const registry = new prom.Registry();
  const cpuBefore = process.cpuUsage();
  prom.collectDefaultMetrics({ register: registry });
  seedCpuCounters(registry, cpuBefore);
  const registers = [registry];
  const { stats } = sources;

  const counterFrom = <L extends string>(name: string, help: string, table: LabeledCounter<L>) =>
    new prom.Counter({
      name,
      help,
      labelNames: table.labelNames,
      registers,
      collect() {
        this.reset();
        for (const { labels, value } of table.series()) this.inc(labels as PromClient.LabelValues<L>, value);
      },
    });
  counterFrom("stet_ingress_requests_total", "Ingress requests answered, by route kind and HTTP status.", stats.ingressRequests);
  counterFrom("stet_invocations_started_total", "Invocations stored as new (from ingress, calls and sends), by service and handler.", stats.invocationsStarted);
  counterFrom(
    "stet_invocations_completed_total",
    "Invocations whose outcome was stored, by service, handler and result (success, or failure: terminal error, kill, cancel).",
    stats.invocationsCompleted,
  );
  counterFrom("stet_invoker_attempts_total", "Invocation attempts started (first attempts, retries and resumptions), by service and handler.", stats.attempts);
  counterFrom(
    "stet_invoker_attempt_failures_total",
    "Failed attempts, by service, handler, failure code and what followed (retry, paused, killed, fenced, unrecorded).",
    stats.attemptFailures,
  );
  counterFrom("stet_invoker_retries_total", "Attempts that failed and were scheduled to be retried, by service and handler.", stats.retries);
  counterFrom(
    "stet_forwarded_requests_total",
    "Requests passed on to the node that leads their partition (cluster mode), by API and outcome: answered (by the leader, " +
      "whatever its status), unreachable (503 STET_LEADER_UNREACHABLE), stopped (this node was stopping), abandoned (the caller left).",
    stats.forwardedRequests,
  );

  const valueOf = (name: string, help: string, kind: "counter" | "gauge", read: () => number) => {
    if (kind === "counter") {
      new prom.Counter({ name, help, registers, collect() { this.reset(); this.inc(read()); } });
    } else {
      new prom.Gauge({ name, help, registers, collect() { this.set(read()); } });
    }
  };
  const { invoker, partitions } = sources;
  valueOf("stet_invoker_live_invocations", "Invocations with a live attempt in the invoker.", "gauge", () => invoker.liveCount);
  valueOf("stet_invoker_queue_length", "Invoke requests waiting in the invoker's input queue (spilled ones included).", "gauge", () => invoker.queueLength);
  valueOf("stet_invoker_queue_spilled_segments", "Segments of the input queue on disk now.", "gauge", () => invoker.spill.segments);
  valueOf("stet_invoker_queue_spilled_segments_total", "Segments of the input queue written to disk since start.", "counter", () => invoker.spill.written);
  valueOf(
    "stet_invoker_queue_dropped_total",
    "Queued invoke requests dropped because their partition stepped down or changed leader.",
    "counter",
    () => invoker.droppedCount,
  );
  valueOf("stet_timers_pending", "Timers stored and not yet fired (sleeps, delayed sends), over all partitions.", "gauge", () => sources.timersPending());

  new prom.Gauge({
    name: "stet_partition_leader",
    help: "1 while this node leads the partition, else 0.",
    labelNames: ["partition"],
    registers,
    collect() {
      for (let p = 0; p < partitions.partitionCount; p++) this.set({ partition: String(p) }, partitions.epochOf(p) === null ? 0 : 1);
    },
  });
  new prom.Gauge({
    name: "stet_partition_leader_epoch",
    help: "The leader epoch under which this node leads the partition; 0 while it does not.",
    labelNames: ["partition"],
    registers,
    collect() {
      for (let p = 0; p < partitions.partitionCount; p++) this.set({ partition: String(p) }, partitions.epochOf(p) ?? 0);
    },
  });
  new prom.Gauge({
    name: "stet_storage_file_size_bytes",
    help: "Size of the SQLite database file (file=db) and of its write-ahead log (file=wal), read on scrape.",
    labelNames: ["file"],
    registers,
    collect() {
      this.set({ file: "db" }, fileSize(sources.dbFile));
      this.set({ file: "wal" }, fileSize(`${sources.dbFile}-wal`));
    },
  });

  registerHistogram(registry, "stet_group_commit_batch_size", "Commands per group commit (one transaction, one fsync).", stats.commitBatchSize);
  registerHistogram(registry, "stet_group_commit_duration_seconds", "Time of one group commit, from BEGIN to COMMIT, fsync included.", stats.commitSeconds);
  return registry;
}

/**
 * prom-client's CPU counters count from when they are made (the first scrape here); a counter named
 * "total CPU time" must count from the process's start, so each starts at what was used before.
 */
function seedCpuCounters(registry: PromClient.Registry, before: NodeJS.CpuUsage): void {
  const seed = (name: string, micros: number) => (registry.getSingleMetric(name) as PromClient.Counter | undefined)?.inc(micros / 1e6);
  seed("process_cpu_user_seconds_total", before.user);
  seed("process_cpu_system_seconds_total", before.system);
  seed("process_cpu_seconds_total", before.user + before.system);
}

function fileSize(file: string): number {
  return statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

/**
 * Exports a histogram the engine filled before prom-client was loaded. prom-client's Histogram takes
 * single observations only, so this is a metric object of the shape its registry reads (`get()` returning
 * name, help, type and values), with Prometheus's `_bucket`/`_sum`/`_count` series.
 */
function registerHistogram(registry: PromClient.Registry, name: string, help: string, histogram: BucketHistogram): void {
  const metric = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    get: async () => ({
      name,
      help,
      type: "histogram",
      aggregator: "sum",
      values: [
        ...histogram.buckets().map(({ le, count }) => ({ metricName: `${name}_bucket`, labels: { le }, value: count })),
        { metricName: `${name}_sum`, labels: {}, value: histogram.sum },
        { metricName: `${name}_count`, labels: {}, value: histogram.count },
      ],
    }),
    reset: () => {},
  };
  registry.registerMetric(metric as unknown as PromClient.Metric);
}
