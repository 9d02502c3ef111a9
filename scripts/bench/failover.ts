// FAILOVER (single round, --store postgres): three stet nodes with a short lease under a light steady
// load whose requests carry idempotency keys (retrying-load.ts). N times: kill -9 a node that leads
// partitions, time until each of its partitions answers an object call through a surviving node (so
// another node leads it and serves), restart a node on a fresh data folder and wait for the even spread.
import { partitionKeyForKey, partitionOf } from "../../protocol/index.js";
import { CLUSTER_PARTITIONS, leadersOf, StetCluster, type ClusterOptions } from "./cluster.js";
import { errorCount, median, newErrors, noteError, percentile } from "./load.js";
import { RetryingLoad } from "./retrying-load.js";
import type { ScaleOutcome } from "./scale.js";
import { registerDeployment, sleep } from "./servers.js";
import type { Metrics, ServiceProcess } from "./workloads.js";

export interface FailoverSettings {
  readonly kills: number;
  /** `--lease-ttl` of the nodes as given (e.g. "2s"), and in ms. */
  readonly leaseTtl: string;
  readonly leaseMs: number;
}

/** `--failover-lease`: "2s", "1500ms"; the ms it stands for, or undefined when it is neither. */
export function leaseMsOf(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(text);
  return m === null ? undefined : Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

/** Nodes of the FAILOVER cluster: a killed one leaves two that take its partitions over. */
const NODES = 3;
/** How long one partition may take to answer after a kill before the item gives up on it. */
const PROBE_GIVE_UP_MS = 60_000;

/** An object key of Counter whose calls `partition` serves (the probe of that partition). */
export function probeKeyIn(partition: number, partitions = CLUSTER_PARTITIONS): string {
  for (let i = 0; ; i++) {
    const key = `probe-${partition}-${i}`;
    if (partitionOf(partitionKeyForKey("Counter", key), partitions) === partition) return key;
  }
}

/**
 * Calls `Counter/<key>/add` (delta 0) through the `origins` in turn, every 20 ms until one answers 200;
 * resolves with the ms from `t0` to that answer, or NaN after PROBE_GIVE_UP_MS.
 */
async function answersAfter(origins: readonly string[], key: string, t0: number): Promise<number> {
  for (let attempt = 0; performance.now() - t0 < PROBE_GIVE_UP_MS; attempt++) {
    const ok = await fetch(`${origins[attempt % origins.length]!}/Counter/${key}/add`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "0",
      signal: AbortSignal.timeout(2_000),
    }).then(
      async (r) => (await r.arrayBuffer(), r.status === 200),
      () => false,
    );
    if (ok) return performance.now() - t0;
    await sleep(20);
  }
  return NaN;
}

export async function runFailover(
  service: ServiceProcess,
  clusterOptions: Omit<ClusterOptions, "leaseTtl">,
  settings: FailoverSettings,
  log: (line: string) => void,
): Promise<ScaleOutcome> {
  const errors = newErrors();
  const notes: string[] = [];
  const m: Metrics = { leaseMs: settings.leaseMs, targetMs: settings.leaseMs + 1000, kills: settings.kills };
  const cluster = await StetCluster.start(NODES, { ...clusterOptions, leaseTtl: settings.leaseTtl });
  const times: number[] = [];
  const respread: number[] = [];
  let load: RetryingLoad | undefined;
  try {
    await cluster.waitForSpread();
    await registerDeployment(cluster.asServer(), service.url);
    const keys = 64;
    load = new RetryingLoad({ origins: () => cluster.members.map((n) => n.ingressUrl), loops: 4, pauseMs: 20, keys, attemptTimeoutMs: 10_000 }).start();
    await sleep(1000);
    for (let k = 1; k <= settings.kills; k++) {
      // The victim: a node that leads partitions, taking each member in turn.
      const led = await cluster.leaders();
      const at = [...led.keys()].map((i) => (i + k) % led.length).find((i) => led[i]!.size > 0);
      if (at === undefined) throw new Error("failover: no node leads a partition");
      const victim = cluster.members[at]!;
      const partitions = [...led[at]!].sort((a, b) => a - b);
      const t0 = performance.now();
      await cluster.kill(victim);
      const survivors = cluster.members.map((n) => n.ingressUrl);
      const took = await Promise.all(partitions.map((p) => answersAfter(survivors, probeKeyIn(p), t0)));
      // An answer means a survivor leads the partition; its gauges say the same.
      const ledNow = new Set((await cluster.leaders()).flatMap((s) => [...s]));
      for (const [i, p] of partitions.entries()) {
        if (Number.isNaN(took[i])) noteError(errors, "unanswered", `kill ${k}: partition ${p} did not answer within ${PROBE_GIVE_UP_MS} ms`);
        else if (!ledNow.has(p)) notes.push(`kill ${k}: partition ${p} answered, but no survivor's stet_partition_leader shows it`);
      }
      times.push(...took.filter((t) => !Number.isNaN(t)));
      const r0 = performance.now();
      await cluster.addNode();
      await cluster.waitForSpread();
      const restartMs = performance.now() - r0;
      respread.push(restartMs);
      notes.push(`kill ${k}: partitions ${partitions.join(",")} answered after ${took.map((t) => t.toFixed(0)).join(", ")} ms; new node healthy and spread even after ${restartMs.toFixed(0)} ms`);
      log(`  FAILOVER kill ${k}/${settings.kills}: partitions ${partitions.join(",")} answered after ${took.map((t) => t.toFixed(0)).join(", ")} ms (lease ${settings.leaseMs} ms); spread even ${restartMs.toFixed(0)} ms after the restart`);
    }
  } finally {
    const out = await load?.stop(60_000);
    if (out !== undefined) {
      m["loadAnswered"] = out.answered;
      m["loadRetried"] = out.retried;
      m["lost"] = out.lost;
      m["maxRequestMs"] = out.maxRequestMs;
      if (out.lost > 0) noteError(errors, "lost", `${out.lost} requests with an idempotency key never answered`);
      notes.push(`failed attempts of the steady load (each retried): ${JSON.stringify(out.failedAttempts.counts)} ${out.failedAttempts.samples.slice(0, 3).join(" | ")}`);
      if (cluster.members.length > 0) m["duplicates"] = await duplicates(cluster.members[0]!.ingressUrl, out.answeredPerKey, errors);
    }
    await cluster.stop();
  }
  const sorted = [...times].sort((a, b) => a - b);
  m["partitionsMoved"] = times.length;
  m["failoverP50Ms"] = percentile(sorted, 50);
  m["failoverMaxMs"] = sorted.length > 0 ? sorted[sorted.length - 1]! : NaN;
  m["overTarget"] = times.filter((t) => t > settings.leaseMs + 1000).length;
  m["respreadMs"] = median(respread);
  m["errors"] = errorCount(errors);
  return { metrics: m, errors, notes };
}

/**
 * Reads every counter the load added to (delta 0 returns the value) and compares it with the adds that
 * were answered: a counter above them means a retried request took effect twice.
 */
async function duplicates(origin: string, answeredPerKey: ReadonlyMap<string, number>, errors: ReturnType<typeof newErrors>): Promise<number> {
  let extra = 0;
  for (const [key, answered] of answeredPerKey) {
    const r = await fetch(`${origin}/Counter/${key}/add`, { method: "POST", headers: { "content-type": "application/json" }, body: "0", signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    const value = r?.status === 200 ? Number(await r.text()) : NaN;
    if (!Number.isFinite(value)) noteError(errors, "check", `counter ${key}: ${r?.status ?? "no answer"}`);
    else if (value > answered) extra += value - answered;
    else if (value < answered) noteError(errors, "missing", `counter ${key} is ${value}, ${answered} adds were answered`);
  }
  return extra;
}
