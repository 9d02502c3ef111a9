import { send } from "./http.js";

/**
 * stet's Prometheus metrics (`GET /metrics` on the admin port), read for what the UI shows: which
 * partitions this node leads, under which epoch.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/** Samples of the Prometheus text format (0.0.4): comments skipped, label values unescaped. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    const body = match[2] ?? "";
    for (let m = LABEL.exec(body); m !== null; m = LABEL.exec(body)) {
      labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

export interface PartitionLeadership {
  readonly partition: number;
  /** Whether the node that serves this page leads the partition. */
  readonly ledHere: boolean;
  /** The epoch it leads under; 0 while it does not. */
  readonly epoch: number;
}

/** Partitions as `stet_partition_leader{partition}` and `stet_partition_leader_epoch{partition}` report them. */
export function partitionsFromMetrics(samples: readonly Sample[]): PartitionLeadership[] {
  const byPartition = new Map<number, { ledHere: boolean; epoch: number }>();
  for (const s of samples) {
    const partition = Number(s.labels["partition"]);
    if (!Number.isInteger(partition)) continue;
    const current = byPartition.get(partition) ?? { ledHere: false, epoch: 0 };
    if (s.name === "stet_partition_leader") byPartition.set(partition, { ...current, ledHere: s.value === 1 });
    if (s.name === "stet_partition_leader_epoch") byPartition.set(partition, { ...current, epoch: s.value });
  }
  return [...byPartition].sort(([a], [b]) => a - b).map(([partition, p]) => ({ partition, ...p }));
}

export async function partitionLeadership(signal?: AbortSignal): Promise<PartitionLeadership[]> {
  const response = await send("/metrics", { accept: "text/plain", ...(signal === undefined ? {} : { signal }) });
  return partitionsFromMetrics(parsePrometheus(await response.text()));
}
