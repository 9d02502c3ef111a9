// The workloads W1–W7, each run against one started server that has the bench service registered.
import { burst, closedLoop, errorCount, newPool, noteError, newErrors, percentile, send, type Errors, type Req } from "./load.js";
import { availableParallelism } from "node:os";
import { busyCores, cpuSeconds, cpuSecondsOf, machineTicks, RssSampler } from "./proc.js";
import { sleep, type RunningServer } from "./servers.js";

export type WorkloadId = "W1" | "W2" | "W3" | "W4" | "W5" | "W6" | "W7";
export const WORKLOADS: readonly WorkloadId[] = ["W1", "W2", "W3", "W4", "W5", "W6", "W7"];

export interface Settings {
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly w7Count: number;
}

export interface ServiceProcess {
  readonly url: string;
  readonly statsUrl: string;
  readonly pid: number;
}

/** One workload's numbers on one server in one round; undefined entries are not applicable. */
export type Metrics = Record<string, number>;

export interface WorkloadOutcome {
  readonly metrics: Metrics;
  readonly errors: Errors;
}

interface LoopDef {
  readonly title: string;
  /** The handler whose entries the service counts (attempts per invocation). */
  readonly counted: string;
  readonly connections: number;
  readonly request: (loop: number, seq: number) => Req;
  /** Latency-only workload (W2): throughput is reported but not the point. */
  readonly latencyOnly?: boolean;
}

const LOOPS: Record<Exclude<WorkloadId, "W7">, LoopDef> = {
  W1: { title: "one ctx.run, 64 connections", counted: "run1", connections: 64, request: (_l, s) => ({ path: "/Bench/run1", body: String(s) }) },
  W2: { title: "echo, 1 connection", counted: "echo", connections: 1, latencyOnly: true, request: (_l, s) => ({ path: "/Bench/echo", body: JSON.stringify({ s }) }) },
  W3: { title: "object add, one hot key, 64 connections", counted: "add", connections: 64, request: () => ({ path: "/Counter/hot/add", body: "1" }) },
  W4: {
    title: "object add, 1000 keys, 64 connections",
    counted: "add",
    connections: 64,
    request: (_l, s) => ({ path: `/Counter/k${(s * 7919) % 1000}/add`, body: "1" }),
  },
  W5: { title: "call chain A→B→C, 32 connections", counted: "chainA", connections: 32, request: (_l, s) => ({ path: "/ChainA/run", body: String(s) }) },
  W6: { title: "ten ctx.run steps, 32 connections", counted: "run10", connections: 32, request: (_l, s) => ({ path: "/Bench/run10", body: String(s) }) },
};

export const TITLES: Record<WorkloadId, string> = {
  ...Object.fromEntries(Object.entries(LOOPS).map(([k, v]) => [k, v.title])),
  W7: "2000 × /send of a 1 s durable sleep",
} as Record<WorkloadId, string>;

/** The server's processes (one, or a cluster's nodes), and the ingress URLs load is spread over. */
const pidsOf = (server: RunningServer): number[] => server.nodes.map((n) => n.pid);
const ingressOf = (server: RunningServer): string[] => server.nodes.map((n) => n.ingressUrl);

export async function runWorkload(id: WorkloadId, server: RunningServer, service: ServiceProcess, settings: Settings): Promise<WorkloadOutcome> {
  return id === "W7" ? runSleepers(server, service, settings) : runLoop(LOOPS[id], server, service, settings);
}

async function runLoop(def: LoopDef, server: RunningServer, service: ServiceProcess, settings: Settings): Promise<WorkloadOutcome> {
  const sampler = new RssSampler(pidsOf(server)).start();
  let cpu0 = 0;
  let store0 = 0;
  let svc0 = 0;
  let gen0 = process.cpuUsage();
  let mach0 = machineTicks();
  let attempts0: Promise<number> = Promise.resolve(NaN);
  let commits0: Promise<StetCounters> = Promise.resolve(NO_COUNTERS);
  // stet loads its metrics library on the first scrape: before the window, not in it.
  await stetCounters(server);
  const result = await closedLoop({
    origin: ingressOf(server),
    connections: def.connections,
    warmupMs: settings.warmupMs,
    durationMs: settings.durationMs,
    request: def.request,
    onWindowStart: () => {
      cpu0 = cpuSecondsOf(pidsOf(server));
      store0 = server.store?.cpuSeconds() ?? 0;
      svc0 = cpuSeconds(service.pid) ?? NaN;
      gen0 = process.cpuUsage();
      mach0 = machineTicks();
      attempts0 = handlerAttempts(service, def.counted);
      commits0 = stetCounters(server);
      sampler.takeMax();
    },
  });
  const commits1 = stetCounters(server);
  const nodeCpu = cpuSecondsOf(pidsOf(server)) - cpu0;
  const storeCpu = (server.store?.cpuSeconds() ?? 0) - store0;
  // The server's CPU: the node's, plus its database's when it has one (stet-pg: the PostgreSQL cluster).
  const cpu = nodeCpu + storeCpu;
  const svc = (cpuSeconds(service.pid) ?? NaN) - svc0;
  const genUsage = process.cpuUsage(gen0);
  const gen = (genUsage.user + genUsage.system) / 1e6;
  const machineBusy = busyCores(mach0, machineTicks(), availableParallelism());
  const peak = sampler.takeMax();
  sampler.stop();
  const sorted = result.latencies.sort((a, b) => a - b);
  const n = result.ok;
  const attemptsInWindow = (await handlerAttempts(service, def.counted)) - (await attempts0);
  const [c0, c1] = [await commits0, await commits1];
  const metrics: Metrics = {
    throughput: result.windowS > 0 ? n / result.windowS : NaN,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    serverCpuPer1000: n > 0 ? (cpu / n) * 1000 : NaN,
    ...storeSplit(server, nodeCpu, storeCpu, n),
    serviceCpuPer1000: n > 0 ? (svc / n) * 1000 : NaN,
    generatorCpuPer1000: n > 0 ? (gen / n) * 1000 : NaN,
    serverCpuCores: result.windowS > 0 ? cpu / result.windowS : NaN,
    machineBusyCores: machineBusy,
    // Everything else on the machine (other users' processes): machine − server − SDK process − generator.
    otherBusyCores: result.windowS > 0 ? machineBusy - (cpu + svc + gen) / result.windowS : NaN,
    peakRssMb: peak,
    // Attempts the handler saw per successful request (1.0 = no attempt was retried); approximate at
    // the window's edges, and includes attempts of requests that errored.
    attemptsPerInvocation: n > 0 ? attemptsInWindow / n : NaN,
    // stet only (from its /metrics): how many commands one transaction and fsync carried, and how many
    // of them there were per invocation.
    commandsPerGroupCommit: c1.batches > c0.batches ? (c1.commands - c0.commands) / (c1.batches - c0.batches) : NaN,
    groupCommitsPerInvocation: n > 0 ? (c1.batches - c0.batches) / n : NaN,
    // A cluster (stet-pg3): requests a node passed to the partition's leader, per invocation answered.
    ...(server.nodes.length > 1 ? { forwardedPerInvocation: n > 0 ? (c1.forwarded - c0.forwarded) / n : NaN } : {}),
    ok: n,
    errors: errorCount(result.errors),
  };
  return { metrics, errors: result.errors };
}

async function handlerAttempts(service: ServiceProcess, handler: string): Promise<number> {
  const s = await getJson<{ attempts: Record<string, number> }>(`${service.statsUrl}/stats`);
  return s.attempts[handler] ?? 0;
}

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url);
  return (await r.json()) as T;
}

/** Parses `invocationId` out of a /send answer. */
export function invocationIdOf(body: string | undefined): string | undefined {
  if (body === undefined) return undefined;
  try {
    const v = JSON.parse(body) as { invocationId?: unknown };
    return typeof v.invocationId === "string" ? v.invocationId : undefined;
  } catch {
    return undefined;
  }
}

/** Attaches to every id (bounded concurrency); returns how many answered 200 and the errors. */
export async function attachAll(server: RunningServer, ids: readonly string[], concurrency = 64): Promise<{ ok: number; errors: Errors }> {
  const r = await burst(ingressOf(server), concurrency, ids.length, (i) => ({
    path: `/restate/invocation/${ids[i]!}/attach`,
    body: "",
    method: "GET",
  }));
  return { ok: r.bodies.filter((b) => b !== undefined).length, errors: r.errors };
}

async function runSleepers(server: RunningServer, service: ServiceProcess, settings: Settings): Promise<WorkloadOutcome> {
  const count = settings.w7Count;
  await fetch(`${service.statsUrl}/reset`, { method: "POST" });
  const sampler = new RssSampler(pidsOf(server)).start();
  const cpu0 = cpuSecondsOf(pidsOf(server));
  const store0 = server.store?.cpuSeconds() ?? 0;
  const t0 = performance.now();
  const sent = await burst(ingressOf(server), 64, count, (i) => ({ path: "/Sleeper/sleep1s/send", body: String(i) }));
  const sendS = (performance.now() - t0) / 1000;
  const ids = sent.bodies.map(invocationIdOf).filter((x): x is string => x !== undefined);
  const errors = newErrors();
  for (const [k, v] of Object.entries(sent.errors.counts)) errors.counts[`send ${k}`] = v;
  errors.samples.push(...sent.errors.samples);
  // Done when every handler got past its sleep (the service counts them), bounded at 120 s.
  let doneS = NaN;
  const deadline = performance.now() + 120_000;
  for (;;) {
    const s = await getJson<{ sleepDone: number }>(`${service.statsUrl}/stats`);
    if (s.sleepDone >= ids.length) {
      doneS = (performance.now() - t0) / 1000;
      break;
    }
    if (performance.now() > deadline || server.exited()) {
      noteError(errors, "timeout", `only ${s.sleepDone}/${ids.length} sleepers finished within 120 s`);
      break;
    }
    await sleep(20);
  }
  // Every invocation's completion confirmed through the server (attach answers with its result).
  const attached = await attachAll(server, ids);
  const confirmedS = (performance.now() - t0) / 1000;
  for (const [k, v] of Object.entries(attached.errors.counts)) errors.counts[`attach ${k}`] = v;
  errors.samples.push(...attached.errors.samples.slice(0, 3));
  const nodeCpu = cpuSecondsOf(pidsOf(server)) - cpu0;
  const storeCpu = (server.store?.cpuSeconds() ?? 0) - store0;
  const cpu = nodeCpu + storeCpu;
  const lateness = (await getJson<number[]>(`${service.statsUrl}/lateness`)).sort((a, b) => a - b);
  const peak = sampler.takeMax();
  sampler.stop();
  return {
    metrics: {
      sendS,
      allDoneS: doneS,
      allConfirmedS: confirmedS,
      latenessP50: percentile(lateness, 50),
      latenessP99: percentile(lateness, 99),
      latenessMax: lateness.length > 0 ? lateness[lateness.length - 1]! : NaN,
      serverCpuPer1000: ids.length > 0 ? (cpu / ids.length) * 1000 : NaN,
      ...storeSplit(server, nodeCpu, storeCpu, ids.length),
      peakRssMb: peak,
      ok: attached.ok,
      errors: errorCount(errors),
    },
    errors,
  };
}

/** With a store of its own (stet-pg): the server's CPU per 1000 split into the node's and the store's. */
function storeSplit(server: RunningServer, nodeCpu: number, storeCpu: number, n: number): Metrics {
  if (server.store === undefined) return {};
  return { nodeCpuPer1000: n > 0 ? (nodeCpu / n) * 1000 : NaN, storeCpuPer1000: n > 0 ? (storeCpu / n) * 1000 : NaN };
}

/** A quick GET on a fresh pool (used for checking outputs after restart and retention). */
export async function getStatus(origin: string, path: string): Promise<{ status: number; body: string }> {
  const pool = newPool(origin, 1);
  const r = await send(pool, { path, body: "", method: "GET" });
  await pool.close();
  return { status: r.status, body: r.error ?? r.body };
}

interface StetCounters {
  readonly batches: number;
  readonly commands: number;
  /** Requests forwarded to another node (`stet_forwarded_requests_total`, every api and outcome). */
  readonly forwarded: number;
}

const NO_COUNTERS: StetCounters = { batches: NaN, commands: NaN, forwarded: NaN };

/**
 * stet's group commits so far (its `stet_group_commit_batch_size` histogram) and requests forwarded to
 * other nodes, summed over a cluster's nodes; NaN for other servers.
 */
async function stetCounters(server: RunningServer): Promise<StetCounters> {
  if (server.kind !== "stet") return NO_COUNTERS;
  const each = await Promise.all(server.nodes.map((n) => nodeCounters(n.adminUrl)));
  const sum = (k: keyof StetCounters) => each.reduce((a, c) => a + c[k], 0);
  return { batches: sum("batches"), commands: sum("commands"), forwarded: sum("forwarded") };
}

async function nodeCounters(adminUrl: string): Promise<StetCounters> {
  try {
    const text = await (await fetch(`${adminUrl}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
    const forwarded = [...text.matchAll(/^stet_forwarded_requests_total\{[^}]*\} (\S+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    return { batches: value("stet_group_commit_batch_size_count"), commands: value("stet_group_commit_batch_size_sum"), forwarded };
  } catch {
    return NO_COUNTERS;
  }
}
