// Throughput harness: W1 and W3 on the baseline (SQLite, stet today), option (a) and option (b), on a
// PostgreSQL 15 cluster of its own, alternating options within each round. See README.md.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import type { Engine } from "./engine.js";
import { load1, machineBusySeconds, median, nodeCpuSeconds, percentile, round } from "./measure.js";
import { LogFollower } from "./follower.js";
import { NullEngine } from "./null-engine.js";
import { PgLogEngine } from "./pg-log-engine.js";
import { startPrototypePostgres, type PostgresServer } from "./prototype-postgres.js";
import { resetSchema } from "./pg-schema.js";
import { PgStateEngine } from "./pg-state-engine.js";
import { SqliteEngine } from "./sqlite-engine.js";
import { startWorkload, type Counters } from "./workload.js";

const { values: args } = parseArgs({
  options: {
    options: { type: "string", default: "sqlite,a,b" },
    workloads: { type: "string", default: "w1,w3" },
    partitions: { type: "string", default: "1,8" },
    concurrency: { type: "string", default: "64" },
    duration: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    "retention-ms": { type: "string", default: "2000" },
    "snapshot-ms": { type: "string", default: "5000" },
    "follower-poll-ms": { type: "string", default: "5" },
    out: { type: "string", default: ".bench-results/pg-prototypes" },
  },
});

type Option = "floor" | "sqlite" | "a" | "a+" | "a1" | "a1+" | "b" | "b+" | "b+f";
const list = (s: string | undefined) => (s ?? "").split(",").filter(Boolean);
const options = list(args.options) as Option[];
const workloads = list(args.workloads) as Array<"w1" | "w3">;
const partitionCounts = list(args.partitions).map(Number);
const concurrency = Number(args.concurrency);
const durationS = Number(args.duration);
const warmupS = Number(args.warmup);
const rounds = Number(args.rounds);
const retentionMs = Number(args["retention-ms"]);
const snapshotMs = Number(args["snapshot-ms"]);
const followerPollMs = Number(args["follower-poll-ms"]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function openEngine(option: Option, server: PostgresServer, dir: string, partitions: number): Promise<Engine> {
  switch (option) {
    case "floor":
      return new NullEngine(partitions, retentionMs);
    case "sqlite":
      return new SqliteEngine(dir, partitions, retentionMs);
    case "a":
    case "a+":
    case "a1":
    case "a1+":
      return PgStateEngine.open(server.connection, partitions, retentionMs, option.endsWith("+") ? "node" : "partition", option.startsWith("a1"));
    case "b":
    case "b+":
    case "b+f":
      return PgLogEngine.open(server.connection, dir, partitions, retentionMs, {
        snapshotEveryMs: snapshotMs,
        grouping: option === "b" ? "partition" : "node",
      });
  }
}

async function walLsn(admin: pg.Client): Promise<bigint> {
  const r = await admin.query("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn AS b");
  return BigInt(r.rows[0].b);
}

async function trial(server: PostgresServer, admin: pg.Client, option: Option, workload: "w1" | "w3", partitions: number) {
  await resetSchema(admin, partitions);
  const dir = mkdtempSync(join(tmpdir(), "stet-pgproto-node-"));
  const engine = await openEngine(option, server, dir, partitions);
  // b+f: a hot standby of every partition tails the log (in this process: its CPU is counted with the node's).
  const follower = option === "b+f" ? await LogFollower.start(server.connection, join(dir, "standby"), partitions, retentionMs, followerPollMs) : undefined;
  const c: Counters = { invocations: 0, commands: 0, latenciesMs: [], recording: false };
  const loadBefore = load1();
  const running = startWorkload(engine, workload, concurrency, c);
  await sleep(warmupS * 1000);
  engine.takeStats();
  const wal0 = await walLsn(admin);
  const [node0, pg0, busy0, t0] = [nodeCpuSeconds(), server.cpuSeconds(), machineBusySeconds(), Date.now()];
  c.recording = true;
  await sleep(durationS * 1000);
  c.recording = false;
  const [node1, pg1, busy1, t1] = [nodeCpuSeconds(), server.cpuSeconds(), machineBusySeconds(), Date.now()];
  const wal1 = await walLsn(admin);
  const stats = engine.takeStats();
  await running.stop();
  await follower?.close();
  const snaps = engine instanceof PgLogEngine ? engine.snapshots : undefined;
  const logBytes = engine instanceof PgLogEngine ? engine.logBytes : 0;
  await engine.close();
  // Dead rows left by updates, deletes and log trims are the database's debt: VACUUM them now and
  // count that CPU too (autovacuum would run it later).
  const vac0 = server.cpuSeconds();
  await admin.query(option.startsWith("b") ? "VACUUM log, snapshots" : "VACUUM invocations, journal, object_locks, inbox, state");
  const vacuumS = server.cpuSeconds() - vac0;
  rmSync(dir, { recursive: true, force: true });

  const seconds = (t1 - t0) / 1000;
  const inv = c.invocations;
  const nodeS = node1 - node0;
  const pgS = option === "sqlite" || option === "floor" ? 0 : pg1 - pg0;
  return {
    option,
    workload,
    partitions,
    invPerS: round(inv / seconds, 0),
    cmdPerS: round(c.commands / seconds, 0),
    batchesPerS: round(stats.commitsMs.length / seconds, 0),
    batchSize: round(median(stats.batchSizes), 0),
    commitP50Ms: round(percentile(stats.commitsMs, 0.5)),
    commitP99Ms: round(percentile(stats.commitsMs, 0.99)),
    invP50Ms: round(percentile(c.latenciesMs, 0.5)),
    invP99Ms: round(percentile(c.latenciesMs, 0.99)),
    nodeCpuMsPerInv: round((nodeS * 1000) / inv, 3),
    pgCpuMsPerInv: round((pgS * 1000) / inv, 3),
    vacuumCpuMs: round(vacuumS * 1000, 0),
    walBytesPerInv: option !== "sqlite" && option !== "floor" ? round(Number(wal1 - wal0) / inv, 0) : NaN,
    logBytesPerInv: option.startsWith("b") ? round(logBytes / inv, 0) : NaN,
    snapshots: snaps === undefined ? undefined : { count: snaps.count, bytes: snaps.bytes, serializeP50Ms: round(median(snaps.serializeMs)), storeP50Ms: round(median(snaps.storeMs)) },
    machineBusyCores: round((busy1 - busy0) / seconds),
    otherBusyCores: round((busy1 - busy0 - nodeS - pgS) / seconds),
    load1Before: loadBefore,
    load1After: load1(),
  };
}

async function main(): Promise<void> {
  const server = await startPrototypePostgres();
  const admin = new pg.Client(server.connection);
  await admin.connect();
  const results: Awaited<ReturnType<typeof trial>>[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      for (const workload of workloads) {
        for (const partitions of partitionCounts) {
          // Alternate the order each round so that drift of the machine's load spreads over all options.
          // With one partition, per-partition and per-node transactions are the same thing: run it once.
          const here = partitions === 1 ? options.filter((o) => !o.includes("+")) : options;
          const order = r % 2 === 0 ? here : [...here].reverse();
          for (const option of order) {
            const res = await trial(server, admin, option, workload, partitions);
            results.push(res);
            console.log(JSON.stringify({ round: r + 1, ...res }));
          }
        }
      }
    }
  } finally {
    await admin.end();
    await server.close();
  }
  const out = `${args.out}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  writeFileSync(out, JSON.stringify(results, null, 2));
  console.log(`results: ${out}`);
  summarize(results);
}

function summarize(results: Awaited<ReturnType<typeof trial>>[]): void {
  const groups = new Map<string, typeof results>();
  for (const r of results) {
    const k = `${r.workload} p=${r.partitions} ${r.option}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  console.log("\nmedians over rounds [min–max]");
  console.log("case | inv/s | cmd/s | batch | commit p50/p99 ms | inv p50/p99 ms | node ms/inv | pg ms/inv | WAL B/inv | others busy | load");
  for (const [k, rs] of groups) {
    const m = (f: (r: (typeof rs)[0]) => number) => {
      const v = rs.map(f);
      return `${round(median(v), 3)} [${round(Math.min(...v), 3)}–${round(Math.max(...v), 3)}]`;
    };
    const m1 = (f: (r: (typeof rs)[0]) => number) => round(median(rs.map(f)), 3);
    console.log(
      `${k} | ${m((r) => r.invPerS)} | ${m1((r) => r.cmdPerS)} | ${m1((r) => r.batchSize)} | ${m1((r) => r.commitP50Ms)}/${m1((r) => r.commitP99Ms)} | ${m1((r) => r.invP50Ms)}/${m1((r) => r.invP99Ms)} | ${m((r) => r.nodeCpuMsPerInv)} | ${m((r) => r.pgCpuMsPerInv)} | ${m1((r) => r.walBytesPerInv)} | ${m1((r) => r.otherBusyCores)} | ${rs.map((r) => r.load1Before).join(",")}`,
    );
  }
}

await main();
