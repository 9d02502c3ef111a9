// stet vs restate-server, same official-SDK service process, one run, servers alternating round by round
// (stet, restate, stet, restate, …), medians over rounds and ratios stet ÷ restate. With --ab REF, the two
// servers are stet built at REF (A) and this tree's stet (B), and the ratio is B ÷ A (ab-build.ts). With
// --store postgres, stet-pg (stet on a throwaway PostgreSQL, its CPU counted as the server's) runs as a
// third server (stores.ts).
//
//   npm run bench -- [flags]   (`--help` lists them: USAGE below)
//
// --profile-dir DIR runs stet under `node --cpu-prof --cpu-prof-dir=DIR` (profile written on SIGTERM);
// summarize with `node dist/scripts/bench/cpuprofile-summary.js DIR/*.cpuprofile`.
//
// STARTUP starts each server --startup-samples times on a fresh empty folder, alternating, after the rounds
// (startup is short and noisy: R's one start per round gives only three samples).
//
// Never part of `npm test`; nothing here asserts on time.
import { spawn, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, openSync, closeSync } from "node:fs";
import { availableParallelism } from "node:os";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs as parseCliArgs } from "node:util";
import { abName, buildAb, comparison, fileSafe, ratioOf, resolveRef, STET_PG3, type Comparison, type Contender } from "./ab-build.js";
import { median, type Errors } from "./load.js";
import { busyCores, machineTicks, memoryOf } from "./proc.js";
import { CLUSTER_LABELS, CLUSTER_PARTITIONS, StetCluster } from "./cluster.js";
import { runRetention, runScale, type ScaleOutcome } from "./scale.js";
import { buildStartupFloor } from "./startup-floor.js";
import { distPath, freePort, registerDeployment, useDist, repoRoot, restateBinary, restateEnvDefaults, sleep, startServer, tail, type StartOptions } from "./servers.js";
import { runQueryScan } from "./query-scan.js";
import { FAILOVER_LABELS, leaseMsOf, runFailover, type FailoverSettings } from "./failover.js";
import { BenchPostgres, contenders, notOnPostgres } from "./stores.js";
import { runWorkload, TITLES, WORKLOADS, type Metrics, type ServiceProcess, type WorkloadId } from "./workloads.js";

// --- arguments ------------------------------------------------------------------------------------------
interface Args {
  rounds: number;
  durationS: number;
  warmupS: number;
  only: Set<string>;
  quick: boolean;
  out: string;
  profileDir: string | undefined;
  scaleCount: number;
  w7Count: number;
  retentionCount: number;
  /** QUERY: completed invocations in the store before W1 runs beside the scans. */
  queryCount: number;
  quietWaitS: number;
  /** The servers that alternate (without --ab): from --servers and --store. */
  servers: Contender[];
  /** --store postgres: stet-pg runs (one throwaway PostgreSQL for the run, a fresh database per round). */
  store: "postgres" | undefined;
  /** Extra node flags for stet (experiments, e.g. `--stet-node-flags=--max-semi-space-size=4`). */
  stetNodeFlags: string[];
  startupSamples: number;
  scaleRestarts: number;
  /** Rounds run stet with the environment's NODE_EXTRA_CA_CERTS (to check it costs nothing after startup). */
  keepExtraCaCerts: boolean;
  /** Keep the snapshot of dist/ the run used. */
  keepDist: boolean;
  /** --ab REF: compare stet built at REF (A) with this tree's stet (B) instead of stet with restate. */
  ab: string | undefined;
  /** FAILOVER: kills, and the nodes' lease (`--lease-ttl`). */
  failover: FailoverSettings;
}

const USAGE = `npm run bench -- [--rounds 3] [--duration 10] [--warmup 2] [--only W1,W3,SCALE,RETENTION,QUERY]
                 [--quick] [--scale] [--out path/prefix] [--profile-dir DIR] [--scale-count 100000]
                 [--servers stet,restate] [--quiet-wait 10] [--w7-count 2000] [--retention-count 5000] [--query-count 100000]
                 [--keep-dist] [--stet-node-flags="--flag …"] [--startup-samples 11] [--scale-restarts 5]
                 [--stet-keep-extra-ca-certs] [--ab GIT-REF] [--store postgres]
                 [--failover-kills 5] [--failover-lease 2s]
--store postgres adds stet-pg (stet with --store on a throwaway PostgreSQL, its CPU counted as the server's)
and stet-pg3 (three such nodes on one database): the servers are then stet,stet-pg,stet-pg3,restate unless
--servers names them (e.g. --servers stet-pg,restate). --only FAILOVER (with --store postgres) kills nodes
of a three-node cluster under load and times the failover.
See scripts/bench/README.md for what each item and flag does.`;

/** Parses the flags (unknown ones are refused: a typo must not start a 20-minute run); undefined after --help. */
function parseArgs(argv: string[]): Args | undefined {
  const string = { type: "string" } as const;
  const flag = { type: "boolean" } as const;
  const { values: v } = parseCliArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      rounds: string,
      duration: string,
      warmup: string,
      only: string,
      quick: flag,
      scale: flag,
      out: string,
      "profile-dir": string,
      "scale-count": string,
      "w7-count": string,
      "retention-count": string,
      "query-count": string,
      "quiet-wait": string,
      servers: string,
      "stet-node-flags": string,
      "startup-samples": string,
      "scale-restarts": string,
      "stet-keep-extra-ca-certs": flag,
      "keep-dist": flag,
      ab: string,
      store: string,
      "failover-kills": string,
      "failover-lease": string,
      help: { type: "boolean", short: "h" },
    },
  });
  if (v.help === true) return undefined;
  const quick = v.quick === true;
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const all = [...WORKLOADS, "R", "STARTUP", "SCALE", "RETENTION", "QUERY", "FAILOVER"];
  // SCALE (100k invocations, ~10 min on 2 cores) and QUERY (100k, ~5 min) are their own runs: `--only
  // SCALE,QUERY` (or `--scale` to add SCALE).
  const defaults = quick ? [...WORKLOADS, "STARTUP", "SCALE"] : [...WORKLOADS, "STARTUP", "RETENTION", ...(v.scale === true ? ["SCALE"] : [])];
  const only = new Set((v.only ?? defaults.join(",")).split(",").map((s) => s.trim().toUpperCase()));
  for (const o of only) if (!all.includes(o)) throw new Error(`--only: unknown item '${o}' (known: ${all.join(", ")})`);
  if (v.ab !== undefined && v.servers !== undefined) throw new Error("--ab runs two builds of stet; --servers does not apply");
  if (v.ab !== undefined && v.store !== undefined) throw new Error("--ab runs two builds of stet on SQLite; --store does not apply (yet)");
  const servers = contenders(v.servers, v.store);
  if (only.has("FAILOVER") && v.store !== "postgres") throw new Error("--only FAILOVER needs --store postgres (the nodes share a PostgreSQL database)");
  const leaseTtl = v["failover-lease"] ?? "2s";
  const leaseMs = leaseMsOf(leaseTtl);
  if (leaseMs === undefined) throw new Error(`--failover-lease: '${leaseTtl}' is not a duration like 2s or 1500ms`);
  return {
    rounds: Number(v.rounds ?? (quick ? 1 : 3)),
    durationS: Number(v.duration ?? (quick ? 2 : 10)),
    warmupS: Number(v.warmup ?? (quick ? 0.5 : 2)),
    only,
    quick,
    out: v.out ?? path.join(repoRoot, ".bench-results", stamp),
    profileDir: v["profile-dir"],
    scaleCount: Number(v["scale-count"] ?? (quick ? 2000 : 100_000)),
    w7Count: Number(v["w7-count"] ?? (quick ? 200 : 2000)),
    retentionCount: Number(v["retention-count"] ?? (quick ? 500 : 5000)),
    queryCount: Number(v["query-count"] ?? (quick ? 5000 : 100_000)),
    quietWaitS: Number(v["quiet-wait"] ?? (quick ? 0 : 10)),
    servers,
    store: v.store === "postgres" ? "postgres" : undefined,
    stetNodeFlags: (v["stet-node-flags"] ?? "").split(" ").filter((f) => f !== ""),
    startupSamples: Number(v["startup-samples"] ?? (quick ? 3 : 11)),
    scaleRestarts: Number(v["scale-restarts"] ?? (quick ? 1 : 5)),
    keepExtraCaCerts: v["stet-keep-extra-ca-certs"] === true,
    keepDist: v["keep-dist"] === true,
    ab: v.ab,
    failover: { kills: Number(v["failover-kills"] ?? (quick ? 2 : 5)), leaseTtl, leaseMs },
  };
}

/**
 * How a server starts: stet with its experiment flags and the profiler when --profile-dir is given (both
 * builds alike with --ab), and stet at REF from its own bin.
 */
function startOptionsFor(s: Contender, args: Args): Pick<StartOptions, "nodeFlags" | "bin"> {
  if (s.kind !== "stet") return {};
  const profile = args.profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${path.resolve(args.profileDir)}`];
  return { nodeFlags: [...args.stetNodeFlags, ...profile], ...(s.bin === undefined ? {} : { bin: s.bin }) };
}

// --- machine facts -------------------------------------------------------------------------------------
function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8" }).trim();
  } catch {
    return "?";
  }
}

function machine(): Record<string, string> {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  return {
    nproc: sh("nproc", []),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "?",
    memory: sh("free", ["-h"]).split("\n")[1]?.replace(/\s+/g, " ") ?? "?",
    kernel: sh("uname", ["-r"]),
    node: process.version,
    restateServer: sh(restateBinary(), ["--version"]),
    // STET_BENCH_COMMIT names the code when the run is made from an export of a commit (no .git there).
    stetCommit: process.env["STET_BENCH_COMMIT"] ?? sh("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"]),
    // Uncommitted changes to stet itself (outside scripts/bench) in the tree dist/ was built from.
    stetUncommitted:
      sh("git", ["-C", repoRoot, "status", "--porcelain", "--untracked-files=no"])
        .split("\n")
        .map((l) => l.replace(/^\s*\S{1,2}\s+/, "")) // "XY path"; sh() trimmed the first line's leading space
        .filter((f) => f !== "" && !f.startsWith("scripts/bench/"))
        .join(" ") || "none",
  };
}

// --- a quiet machine ------------------------------------------------------------------------------------
/**
 * Other people's processes may share this machine. Before each server's round, wait (bounded) until the
 * machine is nearly idle over one second; returns the seconds waited and the last busy reading (cores).
 */
async function waitQuiet(maxS: number, thresholdCores = 0.3): Promise<{ waitedS: number; busy: number }> {
  const t0 = performance.now();
  for (;;) {
    const a = machineTicks();
    await sleep(1000);
    const busy = busyCores(a, machineTicks(), availableParallelism());
    const waitedS = (performance.now() - t0) / 1000;
    if (busy < thresholdCores || waitedS >= maxS) return { waitedS, busy };
  }
}

// --- the service process -----------------------------------------------------------------------------------
async function startService(logFile: string): Promise<ServiceProcess & { stop(): void }> {
  const [port, statsPort] = [await freePort(), await freePort()];
  const fd = openSync(logFile, "a");
  const child = spawn(process.execPath, [distPath("scripts/bench/service.js")], {
    stdio: ["ignore", fd, fd],
    env: { ...process.env, PORT: String(port), STATS_PORT: String(statsPort), RESTATE_LOGGING: "ERROR" },
  });
  closeSync(fd);
  const statsUrl = `http://127.0.0.1:${statsPort}`;
  for (let i = 0; ; i++) {
    const up = await fetch(`${statsUrl}/stats`).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 200 || child.exitCode !== null) throw new Error(`bench service did not start:\n${tail(logFile)}`);
    await sleep(50);
  }
  await sleep(200); // the SDK endpoint listens right after the stats port
  return { url: `http://127.0.0.1:${port}`, statsUrl, pid: child.pid!, stop: () => child.kill("SIGTERM") };
}

// --- results model -----------------------------------------------------------------------------------------
type Item = WorkloadId | "R" | "STARTUP" | "SCALE" | "RETENTION" | "QUERY" | "FAILOVER";
/** item → metric → server (its name: stet, restate, stet@REF) → values over rounds */
type Table = Map<Item, Map<string, Record<string, number[]>>>;
interface ErrorNote {
  readonly server: string;
  readonly round: number;
  readonly item: Item;
  readonly errors: Errors;
}

function put(table: Table, item: Item, server: string, metrics: Metrics): void {
  let byMetric = table.get(item);
  if (byMetric === undefined) table.set(item, (byMetric = new Map()));
  for (const [k, v] of Object.entries(metrics)) {
    let row = byMetric.get(k);
    if (row === undefined) byMetric.set(k, (row = {}));
    (row[server] ??= []).push(v);
  }
}

const LABELS: Record<string, string> = {
  throughput: "throughput (req/s)",
  p50: "p50 latency (ms)",
  p99: "p99 latency (ms)",
  serverCpuPer1000: "server CPU-s per 1000 inv.",
  nodeCpuPer1000: "  of which stet's node(s)",
  storeCpuPer1000: "  of which PostgreSQL",
  spreadMs: "every partition led, evenly over the nodes, from start (ms)",
  storeIdlePssMb: "PostgreSQL PSS after start + registration (MB)",
  storePssAfterMb: "PostgreSQL PSS after the round's workloads (MB)",
  serviceCpuPer1000: "SDK process CPU-s per 1000 inv.",
  generatorCpuPer1000: "load generator CPU-s per 1000 inv.",
  serverCpuCores: "server CPU (cores busy)",
  machineBusyCores: "whole machine busy (cores)",
  otherBusyCores: "other processes busy (cores)",
  quietWaitS: "waited for a quiet machine before the round (s)",
  busyBeforeRound: "machine busy before the round (cores)",
  peakRssMb: "server peak RSS in window (MB)",
  vmHwmMb: "VmHWM (MB)",
  ok: "successful requests",
  attemptsPerInvocation: "handler attempts per invocation (1 = no retries)",
  commandsPerGroupCommit: "commands per group commit (stet)",
  groupCommitsPerInvocation: "group commits per invocation (stet)",
  forwardedPerInvocation: "requests forwarded between nodes per invocation (stet-pg3)",
  errors: "errors",
  sendS: "send phase (s)",
  dueAfterS: "all due at T = first send + (s)",
  sentAfterDue: "sent after T (not delayed)",
  ranBeforeDue: "ran before T",
  rssAfterSendMb: "RSS with N delayed invocations pending (MB)",
  peakRssSendMb: "peak RSS while sending (MB)",
  drainS: "all ran, from T (s)",
  allDoneS: "all handlers past the sleep (s from first send)",
  allConfirmedS: "all completions confirmed by attach (s)",
  latenessP50: "timer lateness p50 (ms)",
  latenessP99: "timer lateness p99 (ms)",
  latenessMax: "timer lateness max (ms)",
  startupAdminMs: "startup to admin /health, empty folder (ms)",
  startupIngressMs: "startup to ingress /restate/health, empty folder (ms)",
  startupIngressMsExtraCa: "the same, stet with the environment's NODE_EXTRA_CA_CERTS (ms)",
  startupFloorMs: "the floor: two fastify apps with only the health routes, bundled and code-cached like stet (ms)",
  idleRssMb: "idle RSS after start + registration (MB)",
  peakRssRoundMb: "peak RSS over the round, VmHWM (MB)",
  shutdownMs: "SIGTERM to exit (ms)",
  sendPerS: "send rate (/send per s)",
  confirmedS: "sample of 1000 completions confirmed by attach, from T (s)",
  dataDirMb: "data folder on disk (MB)",
  bytesPerCompleted: "disk bytes per completed invocation",
  apparentBytesPerCompleted: "apparent bytes per completed invocation",
  startupCompletedAdminMs: "startup to admin /health with N completed (ms)",
  startupCompletedIngressMs: "startup to ingress health with N completed (ms)",
  idleRssAfterRestartMb: "idle RSS after that restart (MB)",
  sizeCompletedMb: "data folder with N completed (MB)",
  goneAfterS: "outputs gone after completion (s)",
  sizeAfterRetentionMb: "data folder after retention sweep (MB)",
  reclaimedMb: "reclaimed on disk (MB)",
  sizeAfterStopMb: "data folder after stop (MB)",
  ...FAILOVER_LABELS,
};

function labelOf(metric: string, c: Comparison): string {
  const label = LABELS[metric] ?? metric;
  const cluster = CLUSTER_LABELS[metric];
  return cluster !== undefined && c.columns.some((col) => col.name === STET_PG3) ? `${label} (${cluster})` : label;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 10) return v.toFixed(2);
  return v.toFixed(3);
}

interface Row {
  item: Item;
  title: string;
  metric: string;
  label: string;
  /** Medians by server name. */
  values: Record<string, number>;
  /** The first of `ratios` (the only one without --store). */
  ratio: number;
  /** By the ratio's header (e.g. "stet ÷ restate"). */
  ratios: Record<string, number>;
  rounds: Record<string, number[]>;
}

/** The rows that split the server's CPU (stet-pg: node, PostgreSQL) right below it, not at the item's end. */
function withSplitAfterTotal<T>(entries: [string, T][]): [string, T][] {
  const split = new Set(["nodeCpuPer1000", "storeCpuPer1000"]);
  const parts = entries.filter(([k]) => split.has(k));
  const rest = entries.filter(([k]) => !split.has(k));
  const at = rest.findIndex(([k]) => k === "serverCpuPer1000");
  return at < 0 ? [...rest, ...parts] : [...rest.slice(0, at + 1), ...parts, ...rest.slice(at + 1)];
}

function rows(table: Table, titles: Record<string, string>, c: Comparison): Row[] {
  const out: Row[] = [];
  for (const [item, byMetric] of table) {
    for (const [metric, v] of withSplitAfterTotal([...byMetric])) {
      const rounds = Object.fromEntries(c.columns.map(({ name }) => [name, v[name] ?? []]));
      const values = Object.fromEntries(c.columns.map(({ name }) => [name, median(rounds[name]!)]));
      const ratios = Object.fromEntries(c.ratios.map((r) => [r.header, ratioOf(r, values)]));
      out.push({ item, title: titles[item] ?? item, metric, label: labelOf(metric, c), values, ratio: c.ratios[0] === undefined ? NaN : ratios[c.ratios[0].header]!, ratios, rounds });
    }
  }
  return out;
}

const ratioText = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? v.toFixed(2) : "–");

function markdown(all: Row[], c: Comparison, meta: Record<string, unknown>, errorNotes: ErrorNote[], notes: string[]): string {
  const lines: string[] = [];
  lines.push(`# ${c.columns.map((col) => (col.name === "restate" ? "restate-server" : col.header)).join(" vs ")} — ${String(meta["startedAt"])}`, "");
  lines.push("| machine / run | |", "| --- | --- |");
  for (const [k, v] of Object.entries(meta)) lines.push(`| ${k} | ${typeof v === "string" ? v : JSON.stringify(v)} |`);
  lines.push("");
  const cells = (xs: readonly string[]): string => xs.map((x) => ` ${x} |`).join("");
  let current: Item | undefined;
  for (const r of all) {
    if (r.item !== current) {
      current = r.item;
      lines.push(
        "",
        `## ${r.item} — ${r.title}`,
        "",
        `| metric |${cells(c.columns.map((col) => col.header))}${cells(c.ratios.map((x) => x.header))}${cells(c.columns.map((col) => `${col.header} rounds`))}`,
        `| --- |${cells([...c.columns, ...c.ratios].map(() => "---:"))}${cells(c.columns.map(() => "---"))}`,
      );
    }
    lines.push(
      `| ${r.label} |${cells(c.columns.map((col) => fmt(r.values[col.name]!)))}${cells(c.ratios.map((x) => ratioText(r.ratios[x.header])))}${cells(c.columns.map((col) => r.rounds[col.name]!.map(fmt).join(", ")))}`,
    );
  }
  if (errorNotes.length > 0) {
    lines.push("", "## Errors", "");
    for (const e of errorNotes) {
      lines.push(`- ${e.server} round ${e.round} ${e.item}: ${JSON.stringify(e.errors.counts)}`);
      for (const s of e.errors.samples) lines.push(`  - \`${s.replace(/`/g, "'").replace(/\n/g, " ")}\``);
    }
  }
  if (notes.length > 0) {
    lines.push("", "## Notes", "");
    for (const n of notes) lines.push(`- ${n}`);
  }
  return lines.join("\n") + "\n";
}

function printTable(all: Row[], c: Comparison): void {
  let current: Item | undefined;
  const w = Math.max(52, ...all.map((r) => r.label.length + 1));
  const widths = c.columns.map((col) => Math.max(10, col.header.length));
  const ratioWidths = c.ratios.map((x) => Math.max(7, x.header.length));
  const line = (label: string, values: readonly string[], ratios: readonly string[]): string =>
    `${label.padEnd(w)}${values.map((v, i) => ` ${v.padStart(widths[i]!)}`).join("")}${ratios.map((v, i) => ` ${v.padStart(ratioWidths[i]!)}`).join("")}\n`;
  for (const r of all) {
    if (r.item !== current) {
      current = r.item;
      process.stdout.write(`\n${r.item} — ${r.title}\n${line("metric", c.columns.map((col) => col.header), c.ratios.map((x) => x.header))}`);
    }
    process.stdout.write(line(r.label, c.columns.map((col) => fmt(r.values[col.name]!)), c.ratios.map((x) => ratioText(r.ratios[x.header]))));
  }
}

// --- main -----------------------------------------------------------------------------------------------------
async function main(): Promise<void> {
  let args: Args | undefined;
  let abCommit: string | undefined;
  try {
    args = parseArgs(process.argv.slice(2));
    if (args?.ab !== undefined) abCommit = resolveRef(args.ab);
  } catch (error) {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (args === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const started = new Date();
  const t0 = performance.now();
  mkdirSync(path.dirname(args.out), { recursive: true });
  const logDir = `${args.out}-logs`;
  mkdirSync(logDir, { recursive: true });
  // Snapshot of the built code: stet and the service run from it for the whole run.
  const snapshot = `${args.out}-dist`;
  cpSync(path.join(repoRoot, "dist"), snapshot, { recursive: true });
  useDist(snapshot);
  const log = (s: string): void => void process.stdout.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${s}\n`);
  // --ab REF: stet at REF, built now into a snapshot of its own (ab-build.ts), runs as A before B each round.
  const abSnapshot = `${args.out}-ab`;
  let order: Contender[] = args.servers;
  if (args.ab !== undefined && abCommit !== undefined) {
    log(`--ab ${args.ab}: building ${abCommit} in a temporary git worktree (output in ${path.join(logDir, "ab-build.log")})`);
    const bin = await buildAb(abCommit, abSnapshot, path.join(logDir, "ab-build.log")).catch((e: unknown) => {
      for (const dir of [snapshot, abSnapshot]) rmSync(dir, { recursive: true, force: true });
      throw e;
    });
    order = [{ name: abName(args.ab), kind: "stet", bin }, { name: "stet", kind: "stet" }];
  }
  const work = mkdtempSync(path.join(tmpdir(), "stet-bench-"));
  // --store postgres: one throwaway PostgreSQL for the run (durability as shipped), a database per round;
  // started in the try below, so that it is removed whatever fails.
  let postgres: BenchPostgres | undefined;
  let postgresSettings: string | undefined;

  const service = await startService(path.join(logDir, "service.log"));
  const table: Table = new Map();
  const errorNotes: ErrorNote[] = [];
  const notes: string[] = [];
  const workloads = WORKLOADS.filter((w) => args.only.has(w));
  const settings = { durationMs: args.durationS * 1000, warmupMs: args.warmupS * 1000, w7Count: args.w7Count };
  const cmdlines: Record<string, string> = {};
  /** Items stet-pg sits out: a note each, once; true when `s` skips `item`. */
  const skipped = new Set<string>();
  const skips = (s: Contender, item: Item): boolean => {
    const why = s.store !== "postgres" ? undefined : notOnPostgres(item);
    if (why !== undefined && !skipped.has(item)) {
      skipped.add(item);
      notes.push(`${item}: ${why}`);
      log(`${item}: ${why}`);
    }
    return why !== undefined;
  };

  try {
    if (order.some((s) => s.store === "postgres") || args.only.has("FAILOVER")) {
      postgres = await BenchPostgres.start();
      postgresSettings = await postgres.durability();
      log(`stet-pg: ${postgresSettings} (data folder ${postgres.server.dataDir})`);
    }
    const roundsNeeded = workloads.length > 0 || args.only.has("R");
    for (let round = 1; roundsNeeded && round <= args.rounds; round++) {
      // ABBA: every other round starts with the other server, so neither always meets the cold service
      // process and load generator of a round's first run.
      for (const s of round % 2 === 1 ? order : [...order].reverse()) {
        const dataDir = path.join(work, `${fileSafe(s.name)}-r${round}`);
        mkdirSync(dataDir, { recursive: true });
        const logFile = path.join(logDir, `${fileSafe(s.name)}-r${round}.log`);
        const quiet = args.quietWaitS > 0 ? await waitQuiet(args.quietWaitS) : { waitedS: 0, busy: NaN };
        // stet-pg: a fresh database for the round (created before the node starts, dropped after it stopped).
        const database = `stet_bench_r${round}`;
        const store = s.store === "postgres" ? await postgres!.database(database) : undefined;
        const start = { ...startOptionsFor(s, args), keepExtraCaCerts: args.keepExtraCaCerts };
        // stet-pg3: its nodes start at once; the round waits until they have spread the partitions evenly.
        const cluster =
          s.nodes === undefined ? undefined : await StetCluster.start(s.nodes, { dataRoot: dataDir, logPrefix: logFile.replace(/\.log$/, ""), store: store!, start });
        const server = cluster?.asServer() ?? (await startServer(s.kind, { dataDir, logFile, ...start, ...(store === undefined ? {} : { store }) }));
        cmdlines[s.name] = cluster === undefined ? `pid ${server.pid}: ${server.cmdline}` : server.cmdline;
        log(`round ${round} ${s.name}: healthy in ${server.startup.adminMs.toFixed(0)} ms (pid ${server.nodes.map((n) => n.pid).join(", ")}; waited ${quiet.waitedS.toFixed(0)} s for a quiet machine, busy ${fmt(quiet.busy)} cores)`);
        const r: Metrics = {
          startupAdminMs: server.startup.adminMs,
          startupIngressMs: server.startup.ingressMs,
          quietWaitS: quiet.waitedS,
          busyBeforeRound: quiet.busy,
        };
        const pids = server.nodes.map((n) => n.pid);
        try {
          if (cluster !== undefined) r["spreadMs"] = server.startup.adminMs + (await cluster.waitForSpread());
          await registerDeployment(server, service.url);
          await sleep(1000);
          r["idleRssMb"] = memoryOf(pids)?.rssMb ?? NaN;
          if (store !== undefined) r["storeIdlePssMb"] = postgres!.pssMb();
          for (const w of workloads) {
            if (skips(s, w)) continue;
            if (server.exited()) {
              notes.push(`${s.name} round ${round}: server process exited before ${w}; see ${logFile}`);
              break;
            }
            const out = await runWorkload(w, server, service, settings);
            put(table, w, s.name, out.metrics);
            if (Object.keys(out.errors.counts).length > 0) errorNotes.push({ server: s.name, round, item: w, errors: out.errors });
            const m = out.metrics;
            log(
              `  ${w} ${s.name}: ` +
                (w === "W7"
                  ? `done ${fmt(m["allDoneS"]!)} s, lateness p50 ${fmt(m["latenessP50"]!)} ms p99 ${fmt(m["latenessP99"]!)} ms`
                  : `${fmt(m["throughput"]!)} req/s, p50 ${fmt(m["p50"]!)} ms, p99 ${fmt(m["p99"]!)} ms, cpu/1000 ${fmt(m["serverCpuPer1000"]!)} s`) +
                (m["errors"]! > 0 ? `, ERRORS ${m["errors"]} ${JSON.stringify(out.errors.counts)}` : ""),
            );
          }
          r["peakRssRoundMb"] = memoryOf(pids)?.hwmMb ?? NaN;
          if (store !== undefined) r["storePssAfterMb"] = postgres!.pssMb();
        } finally {
          r["shutdownMs"] = await server.stop();
          rmSync(dataDir, { recursive: true, force: true });
          if (store !== undefined) await postgres!.drop(database);
        }
        put(table, "R", s.name, r);
        if (s.kind === "stet") {
          for (const [i, node] of server.nodes.entries()) {
            const logText = tail(node.logFile, 20).trim();
            const who = server.nodes.length > 1 ? `${s.name} node ${i + 1}` : s.name;
            if (logText !== "") notes.push(`${who} round ${round} log (last lines): ${logText.replace(/\n/g, " ⏎ ").slice(0, 2000)}`);
          }
        }
      }
    }

    if (args.only.has("STARTUP")) {
      /** Starts `s` once on a fresh empty folder and stops it; returns its startup times. */
      const startOnce = async (s: Contender, extra: Partial<StartOptions> = {}) => {
        const dataDir = mkdtempSync(path.join(work, `${fileSafe(s.name)}-startup-`));
        const server = await startServer(s.kind, { dataDir, logFile: path.join(logDir, `${fileSafe(s.name)}-startup.log`), ...startOptionsFor(s, args), ...extra });
        await server.stop();
        rmSync(dataDir, { recursive: true, force: true });
        return server.startup;
      };
      // The floor starts through stet's launcher and goes in stet's column: the startup that any fastify
      // server started the way stet is pays before stet does anything of its own. Not with --ab.
      const floor = args.ab === undefined && order.some((s) => s.name === "stet") ? await buildStartupFloor(mkdtempSync(path.join(work, "floor-")), path.join(logDir, "floor.log")) : undefined;
      for (let sample = 1; sample <= args.startupSamples; sample++) {
        if (floor !== undefined) {
          if (args.quietWaitS > 0) await waitQuiet(args.quietWaitS);
          const startup = await startOnce({ name: "stet", kind: "stet" }, { bin: floor, logFile: path.join(logDir, "floor.log") });
          put(table, "STARTUP", "stet", { startupFloorMs: startup.ingressMs });
        }
        for (const s of order) {
          if (skips(s, "STARTUP")) continue;
          if (args.quietWaitS > 0) await waitQuiet(args.quietWaitS);
          const startup = await startOnce(s);
          put(table, "STARTUP", s.name, { startupAdminMs: startup.adminMs, startupIngressMs: startup.ingressMs });
          if (s.kind === "stet" && process.env["NODE_EXTRA_CA_CERTS"] !== undefined) {
            put(table, "STARTUP", s.name, { startupIngressMsExtraCa: (await startOnce(s, { keepExtraCaCerts: true })).ingressMs });
          }
        }
      }
      const med = (name: string): string => fmt(median(table.get("STARTUP")?.get("startupIngressMs")?.[name] ?? []));
      const floorMs = table.get("STARTUP")?.get("startupFloorMs")?.["stet"];
      const floorNote = floorMs === undefined ? "" : `, the fastify floor ${fmt(median(floorMs))} ms`;
      log(`STARTUP: ${args.startupSamples} starts each, median to ingress health: ${order.filter((s) => s.store === undefined).map((s) => `${s.name} ${med(s.name)} ms`).join(", ")}${floorNote}`);
    }

    /** An item run once per server on a data folder of its own (SCALE, RETENTION, QUERY). */
    const singleRound = async (item: Item, what: string, run: (s: Contender, dataDir: string, logFile: string) => Promise<ScaleOutcome>): Promise<void> => {
      for (const s of order) {
        if (skips(s, item)) continue;
        const dataDir = path.join(work, `${fileSafe(s.name)}-${item.toLowerCase()}`);
        mkdirSync(dataDir, { recursive: true });
        if (args.quietWaitS > 0) await waitQuiet(args.quietWaitS);
        log(`${item} ${s.name}: ${what}`);
        const out = await run(s, dataDir, path.join(logDir, `${fileSafe(s.name)}-${item.toLowerCase()}.log`));
        rmSync(dataDir, { recursive: true, force: true });
        put(table, item, s.name, out.metrics);
        if (Object.keys(out.errors.counts).length > 0) errorNotes.push({ server: s.name, round: 1, item, errors: out.errors });
        for (const n of out.notes) notes.push(`${item} ${s.name}: ${n}`);
        log(`${item} ${s.name}: ${JSON.stringify(Object.fromEntries(Object.entries(out.metrics).map(([k, v]) => [k, Number(fmt(v)) || fmt(v)])))}`);
      }
    };
    if (args.only.has("SCALE")) {
      await singleRound("SCALE", `${args.scaleCount} × /send`, (s, dataDir, logFile) =>
        runScale(s.kind, service, args.scaleCount, dataDir, logFile, args.quick ? 120 : 900, startOptionsFor(s, args), args.scaleRestarts),
      );
    }
    if (args.only.has("RETENTION")) {
      // restate-server's cleaner runs hourly by default; 10 s here so reclaim is observable in a run.
      // stet's expiry sweep runs every 5 s (not configurable from the CLI).
      await singleRound("RETENTION", `${args.retentionCount} × /send with 5 s retention`, (s, dataDir, logFile) =>
        runRetention(s.kind, service, args.retentionCount, dataDir, logFile, 120, s.kind === "restate" ? { env: { RESTATE_WORKER__CLEANUP_INTERVAL: "10s" } } : { bin: s.bin }),
      );
    }
    if (args.only.has("QUERY")) {
      await singleRound("QUERY", `${args.queryCount} completed, then W1 alone / with a sys_journal scan every second / alone`, (s, dataDir, logFile) =>
        runQueryScan(s.kind, service, args.queryCount, settings, dataDir, logFile, startOptionsFor(s, args)),
      );
    }
    if (args.only.has("FAILOVER") && postgres !== undefined) {
      const database = "stet_bench_failover";
      const store = await postgres.database(database);
      const dataRoot = path.join(work, "failover");
      if (args.quietWaitS > 0) await waitQuiet(args.quietWaitS);
      log(`FAILOVER ${STET_PG3}: ${args.failover.kills} × kill -9 of a node under a steady load, lease ${args.failover.leaseTtl}`);
      try {
        const out = await runFailover(service, { dataRoot, logPrefix: path.join(logDir, "failover"), store, start: { ...startOptionsFor({ name: STET_PG3, kind: "stet" }, args), keepExtraCaCerts: args.keepExtraCaCerts } }, args.failover, log);
        put(table, "FAILOVER", STET_PG3, out.metrics);
        if (Object.keys(out.errors.counts).length > 0) errorNotes.push({ server: STET_PG3, round: 1, item: "FAILOVER", errors: out.errors });
        for (const n of out.notes) notes.push(`FAILOVER: ${n}`);
        const f = out.metrics;
        log(`FAILOVER: p50 ${fmt(f["failoverP50Ms"]!)} ms, max ${fmt(f["failoverMaxMs"]!)} ms (lease ${fmt(f["leaseMs"]!)} ms), lost ${f["lost"]}, duplicates ${f["duplicates"]}`);
      } finally {
        rmSync(dataRoot, { recursive: true, force: true });
        await postgres.drop(database);
      }
    }
  } finally {
    service.stop();
    await postgres?.close();
    rmSync(work, { recursive: true, force: true });
    // A profile's file positions refer to the snapshot (mapped back to .ts through its .js.map files).
    if (!args.keepDist && args.profileDir === undefined) for (const dir of [snapshot, abSnapshot]) rmSync(dir, { recursive: true, force: true });
  }

  const titles: Record<string, string> = {
    ...TITLES,
    R: "resources (every round)",
    STARTUP: `startup on a fresh empty data folder, ${args.startupSamples} starts per server, alternating${args.ab === undefined ? " (stet's column also has the floor: a fastify hello world started like stet)" : ""}`,
    SCALE: `${args.scaleCount} invocations ready at once (/send?delay= Bench/noop, all due at one instant T), then restart on them completed — single round; throughput, CPU and peak RSS from T`,
    RETENTION: `${args.retentionCount} invocations with 5 s journal + idempotency retention: storage and reclaim — single round`,
    FAILOVER: `kill -9 of a node leading partitions, ${args.failover.kills} times, in a cluster of three nodes (lease ${args.failover.leaseTtl}) under a light load with idempotency keys; each of its partitions timed until it answers through a survivor; a fresh node joins after each kill — single round`,
    QUERY: `W1 with a full scan of sys_journal (Arrow, as \`restate sql\`) every second, over ${args.queryCount} completed invocations — single round`,
  };
  // Keep the table in a stable order: R first, then workloads, then scale items.
  const itemOrder: Item[] = ["R", "STARTUP", ...WORKLOADS, "SCALE", "RETENTION", "QUERY", "FAILOVER"];
  // FAILOVER's figures are in stet-pg3's column, whether or not stet-pg3 ran the rounds; a server with no
  // figure at all (`--only FAILOVER`) has no column.
  const named = [...new Set([...order.map((s) => s.name), ...(args.only.has("FAILOVER") ? [STET_PG3] : [])])];
  const measured = named.filter((name) => [...table.values()].some((byMetric) => [...byMetric.values()].some((row) => (row[name]?.length ?? 0) > 0)));
  const cmp = comparison(args.ab, measured.length > 0 ? measured : named);
  const all = rows(table, titles, cmp).sort((a, b) => itemOrder.indexOf(a.item) - itemOrder.indexOf(b.item));
  const meta: Record<string, unknown> = {
    startedAt: started.toISOString(),
    wallS: Math.round((performance.now() - t0) / 1000),
    ...machine(),
    rounds: args.rounds,
    order: `${order.map((s) => s.name).join(", ")} alternating each round, in reverse order every other round (fresh empty data folder per server per round)`,
    // --ab: A is stet at abCommit (abRef as given), B this tree's stet (stetCommit).
    ...(args.ab === undefined ? {} : { abRef: args.ab, abCommit }),
    durationS: args.durationS,
    warmupS: args.warmupS,
    w7Count: args.w7Count,
    items: [...args.only].join(","),
    serverProcesses: cmdlines,
    restateEnv: { ...restateEnvDefaults },
    stetFlags: "--host 127.0.0.1 --log-level warn (defaults otherwise: 8 partitions, fsync on commit)",
    ...(postgresSettings === undefined
      ? {}
      : {
          ...(order.some((s) => s.nodes !== undefined)
            ? {
                stetPg3: `three nodes of the same build in cluster mode on one fresh database per round (--store postgres://…/stet_bench_r<round>, --partitions ${CLUSTER_PARTITIONS}, stet's default lease), started at once, each on a fresh data folder; the round's workloads start once every partition is led and each node leads ${CLUSTER_PARTITIONS}/3 rounded (R: spreadMs). Load is spread over the three ingress URLs by connection (connection i to node i mod 3; a node forwards requests for partitions it does not lead); server CPU = the three nodes + the whole PostgreSQL cluster, RSS = the sum of the three nodes`,
              }
            : {}),
          stetPg: `the same stet build with --store postgres://…/stet_bench_r<round>: a fresh database per round on one throwaway ${postgresSettings}, server settings as shipped; its server CPU is the node's plus the whole PostgreSQL cluster's over the window (split in the rows below it), RSS the node's, PostgreSQL's memory as PSS in R`,
        }),
    stetEnv:
      process.env["NODE_EXTRA_CA_CERTS"] === undefined || args.keepExtraCaCerts
        ? "this environment"
        : `this environment without NODE_EXTRA_CA_CERTS (${process.env["NODE_EXTRA_CA_CERTS"]}; see STARTUP for a start with it)`,
    service: "one official-SDK process (scripts/bench/service.ts, HTTP/2 h2c, RESTATE_LOGGING=ERROR) for the whole run",
    profileDir: args.profileDir ?? null,
    codeUnderTest:
      args.ab === undefined
        ? "a snapshot of dist/ taken at the start of the run"
        : `a snapshot of dist/ taken at the start of the run (B, and the service); A: ${abCommit} built in a temporary git worktree into a snapshot of its own`,
    loadAverageAtEnd: readFileSync("/proc/loadavg", "utf8").trim(),
  };
  printTable(all, cmp);
  const md = markdown(all, cmp, meta, errorNotes, notes);
  writeFileSync(`${args.out}.md`, md);
  writeFileSync(`${args.out}.json`, JSON.stringify({ meta, rows: all, errors: errorNotes, notes }, null, 2));
  if (errorNotes.length > 0) {
    process.stdout.write("\nErrors:\n");
    for (const e of errorNotes) process.stdout.write(`  ${e.server} r${e.round} ${e.item}: ${JSON.stringify(e.errors.counts)} ${e.errors.samples.slice(0, 2).join(" | ")}\n`);
  }
  process.stdout.write(`\nresults: ${args.out}.md, ${args.out}.json (server logs in ${logDir})\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
