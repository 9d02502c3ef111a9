// FAILOVER (single round, --store postgres): three stet nodes with a short lease under a light steady
// load whose requests carry idempotency keys (retrying-load.ts). N times: kill -9 a node that leads
// partitions, time until each of its partitions answers an object call through a surviving node (so
// another node leads it and serves), restart a node on a fresh data folder and wait for the even spread.
import { partitionKeyForKey, partitionOf } from "../../protocol/index.js";
import { CLUSTER_PARTITIONS, StetCluster, type ClusterOptions } from "./cluster.js";
import { errorCount, median, newErrors, noteError, percentile } from "./load.js";
import { RetryingLoad, type RetryingLoadOutcome } from "./retrying-load.js";
import type { ScaleOutcome } from "./scale.js";
import { PG3_NODES } from "./stores.js";
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

/** The report's row labels of FAILOVER's figures. */
export const FAILOVER_LABELS: Readonly<Record<string, string>> = {
  leaseMs: "lease (--lease-ttl, ms)",
  targetMs: "target: lease + 1 s (ms)",
  kills: "kills (kill -9 of a node leading partitions)",
  partitionsMoved: "partitions the killed nodes led",
  failoverP50Ms: "failover p50: kill to answer via a survivor (ms)",
  failoverMaxMs: "failover max (ms)",
  ledP50Ms: "  kill to led by a survivor (its gauge), p50 (ms)",
  ledMaxMs: "  kill to led by a survivor, max (ms)",
  overTarget: "partitions over the target",
  respreadMs: "restart to an even spread again, median (ms)",
  loadAnswered: "steady-load requests answered",
  loadRetried: "  of which needed more than one attempt",
  maxRequestMs: "longest request incl. retries (ms)",
  lost: "requests lost (must be 0)",
  duplicates: "adds applied twice (must be 0)",
};

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

/**
 * Polls the survivors' `stet_partition_leader` gauges every 50 ms until each of `partitions` is led by
 * one of them; resolves with the ms from `t0` to each partition's first sighting (NaN if it never is).
 */
async function ledAfter(cluster: StetCluster, partitions: readonly number[], t0: number): Promise<number[]> {
  const seen = new Map<number, number>();
  while (seen.size < partitions.length && performance.now() - t0 < PROBE_GIVE_UP_MS) {
    const led = new Set((await cluster.leaders()).flatMap((s) => [...s]));
    const now = performance.now() - t0;
    for (const p of partitions) if (led.has(p) && !seen.has(p)) seen.set(p, now);
    await sleep(50);
  }
  return partitions.map((p) => seen.get(p) ?? NaN);
}

interface Kill {
  /** The partitions the killed node led. */
  readonly partitions: readonly number[];
  /** Per partition: ms from the kill to a survivor's gauge showing it led, and to its answer (NaN: never). */
  readonly ledAt: readonly number[];
  readonly answeredAt: readonly number[];
  /** ms from starting a fresh node to an even spread again. */
  readonly respreadMs: number;
}

/** kill -9 of a node that leads partitions (the `k`-th member in turn), timed, then a fresh node in its place. */
async function killOne(cluster: StetCluster, k: number): Promise<Kill> {
  const led = await cluster.leaders();
  const at = [...led.keys()].map((i) => (i + k) % led.length).find((i) => led[i]!.size > 0);
  if (at === undefined) throw new Error("failover: no node leads a partition");
  const partitions = [...led[at]!].sort((a, b) => a - b);
  const t0 = performance.now();
  await cluster.kill(cluster.members[at]!);
  const survivors = cluster.members.map((n) => n.ingressUrl);
  const [answeredAt, ledAt] = await Promise.all([
    Promise.all(partitions.map((p) => answersAfter(survivors, probeKeyIn(p), t0))),
    ledAfter(cluster, partitions, t0),
  ]);
  const r0 = performance.now();
  await cluster.addNode();
  await cluster.waitForSpread();
  return { partitions, ledAt, answeredAt, respreadMs: performance.now() - r0 };
}

const ms = (xs: readonly number[]): string => xs.map((t) => t.toFixed(0)).join(", ");
const maxOf = (sorted: readonly number[]): number => (sorted.length > 0 ? sorted[sorted.length - 1]! : NaN);

export async function runFailover(
  service: ServiceProcess,
  clusterOptions: Omit<ClusterOptions, "leaseTtl">,
  settings: FailoverSettings,
  log: (line: string) => void,
): Promise<ScaleOutcome> {
  const errors = newErrors();
  const notes: string[] = [];
  const kills: Kill[] = [];
  const cluster = await StetCluster.start(PG3_NODES, { ...clusterOptions, leaseTtl: settings.leaseTtl });
  let load: RetryingLoad | undefined;
  let loadOut: RetryingLoadOutcome | undefined;
  let doubled = NaN;
  try {
    await cluster.waitForSpread();
    await registerDeployment(cluster.asServer(), service.url);
    load = new RetryingLoad({ origins: () => cluster.members.map((n) => n.ingressUrl), loops: 4, pauseMs: 20, keys: 64, attemptTimeoutMs: 10_000 }).start();
    await sleep(1000);
    for (let k = 1; k <= settings.kills; k++) {
      const kill = await killOne(cluster, k);
      kills.push(kill);
      for (const [i, p] of kill.partitions.entries()) {
        if (Number.isNaN(kill.answeredAt[i])) noteError(errors, "unanswered", `kill ${k}: partition ${p} did not answer within ${PROBE_GIVE_UP_MS} ms`);
        else if (Number.isNaN(kill.ledAt[i])) notes.push(`kill ${k}: partition ${p} answered, but no survivor's stet_partition_leader showed it led`);
      }
      const what = `partitions ${kill.partitions.join(",")} led by a survivor after ${ms(kill.ledAt)} ms, answered after ${ms(kill.answeredAt)} ms`;
      notes.push(`kill ${k}: ${what}; a fresh node joined and the spread was even ${kill.respreadMs.toFixed(0)} ms after its start`);
      log(`  FAILOVER kill ${k}/${settings.kills}: ${what} (lease ${settings.leaseMs} ms); spread even ${kill.respreadMs.toFixed(0)} ms after the restart`);
    }
  } finally {
    loadOut = await load?.stop(60_000);
    if (loadOut !== undefined && cluster.members.length > 0) doubled = await duplicates(cluster.members[0]!.ingressUrl, loadOut.answeredPerKey, errors);
    await cluster.stop();
  }
  const answered = kills.flatMap((k) => k.answeredAt).filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
  const led = kills.flatMap((k) => k.ledAt).filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
  const m: Metrics = {
    leaseMs: settings.leaseMs,
    targetMs: settings.leaseMs + 1000,
    kills: kills.length,
    partitionsMoved: kills.reduce((n, k) => n + k.partitions.length, 0),
    failoverP50Ms: percentile(answered, 50),
    failoverMaxMs: maxOf(answered),
    // The part of it until a survivor's gauge shows the partition led (polled every 50 ms).
    ledP50Ms: percentile(led, 50),
    ledMaxMs: maxOf(led),
    overTarget: answered.filter((t) => t > settings.leaseMs + 1000).length,
    respreadMs: median(kills.map((k) => k.respreadMs)),
  };
  if (loadOut !== undefined) {
    Object.assign(m, { loadAnswered: loadOut.answered, loadRetried: loadOut.retried, maxRequestMs: loadOut.maxRequestMs, lost: loadOut.lost, duplicates: doubled });
    if (loadOut.lost > 0) noteError(errors, "lost", `${loadOut.lost} requests with an idempotency key never answered`);
    const failed = loadOut.failedAttempts;
    notes.push(`failed attempts of the steady load (each retried): ${JSON.stringify(failed.counts)} ${failed.samples.slice(0, 3).join(" | ")}`);
  }
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
