// Failover harness: what a new leader of one partition must read before it applies again, with N
// invocations in flight and M completed ones retained, for option (a) (rows in PostgreSQL) and option
// (b) (snapshot + log tail in PostgreSQL, state rebuilt in a local SQLite). See README.md.
import { randomFillSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { decodeBatch, encodeBatch } from "./codec.js";
import { load1, median, nodeCpuSeconds, round } from "./measure.js";
import { ENTRY, FRAMES, newInvocationId, PartitionModel, type Command } from "./model.js";
import { applyLocally, storeSnapshot } from "./pg-log-engine.js";
import { startPrototypePostgres, type PostgresServer } from "./prototype-postgres.js";
import { resetSchema } from "./pg-schema.js";
import { savepointStatements } from "./sqlite-engine.js";
import { openSqlite, SqliteSink } from "./sqlite-sink.js";

const { values: args } = parseArgs({
  options: {
    inflight: { type: "string", default: "1000" },
    completed: { type: "string", default: "0,100000,1000000" },
    "tail-commands": { type: "string", default: "50000" },
    repeats: { type: "string", default: "3" },
    out: { type: "string", default: ".bench-results/pg-failover" },
  },
});
const N = Number(args.inflight);
const Ms = (args.completed ?? "").split(",").map(Number);
const TAIL = Number(args["tail-commands"]);
const REPEATS = Number(args.repeats);
const P = 0;
const RETENTION = 24 * 3600 * 1000;

const bytesOf = (rows: Record<string, unknown>[]): number => {
  let n = 0;
  for (const row of rows) for (const v of Object.values(row)) n += Buffer.isBuffer(v) ? v.length : v === null ? 0 : String(v).length;
  return n;
};

/** (a): M completed invocations (4 journal entries, an output) and N in flight (input + run command), as rows. */
async function populateRows(c: pg.Client, m: number, n: number): Promise<void> {
  await c.query(
    `INSERT INTO invocations (partition_id, seq, id, service, object_key, status, created_at, modified_at, completed_at, output, expires_at)
     SELECT $1, g, 'inv_' || substr(md5(g::text), 1, 26), 'Bench', '', CASE WHEN g <= $2 THEN 'completed' ELSE 'invoked' END, 0, 0,
       CASE WHEN g <= $2 THEN 0 END, CASE WHEN g <= $2 THEN decode(md5('o' || g) || substr(md5('p' || g), 1, 24), 'hex') END,
       CASE WHEN g <= $2 THEN ${RETENTION} END
     FROM generate_series(1, $2::int + $3::int) g`,
    [P, m, n],
  );
  await c.query(
    `INSERT INTO journal (partition_id, invocation_seq, idx, type, frame)
     SELECT $1, g, i, (ARRAY[${ENTRY.input}, ${ENTRY.run}, ${ENTRY.runDone}, ${ENTRY.output}])[i + 1],
       decode(md5(g || '-' || i) || md5(i || '-' || g) || substr(md5('x' || g || i), 1, (ARRAY[32, 0, 8, 16])[i + 1]), 'hex')
     FROM generate_series(1, $2::int + $3::int) g, generate_series(0, CASE WHEN g <= $2 THEN 3 ELSE 1 END) i`,
    [P, m, n],
  );
  await c.query("VACUUM ANALYZE invocations, journal");
}

/** (a) takeover: raise the epoch (waits out the old leader's open transaction), read what is unfinished. */
async function takeoverRows(server: PostgresServer) {
  const c = new pg.Client(server.connection);
  await c.connect();
  const t0 = performance.now();
  await c.query("UPDATE leases SET epoch = epoch + 1, holder = 'node-2', expires_at = now() + interval '10 seconds' WHERE partition_id = $1", [P]);
  const inv = await c.query("SELECT * FROM invocations WHERE partition_id = $1 AND status <> 'completed' ORDER BY seq", [P]);
  const small = [
    await c.query("SELECT * FROM object_locks WHERE partition_id = $1", [P]),
    await c.query("SELECT * FROM inbox WHERE partition_id = $1 ORDER BY seq", [P]),
    await c.query("SELECT coalesce(max(seq), 0) AS s FROM invocations WHERE partition_id = $1", [P]),
  ];
  const model = new PartitionModel(P, RETENTION);
  for (const r of inv.rows) model.live.set(r.id, { id: r.id, seq: Number(r.seq), service: r.service, key: r.object_key, status: r.status, journalLength: 0, createdAt: Number(r.created_at) });
  model.nextSeq = Number(small[2]!.rows[0].s) + 1;
  const ready = performance.now();
  // The invoker then reads each in-flight journal to resume it (here all at once, by primary key).
  const journal = await c.query(
    "SELECT * FROM journal WHERE partition_id = $1 AND invocation_seq = ANY($2::bigint[]) ORDER BY invocation_seq, idx",
    [P, inv.rows.map((r) => r.seq)],
  );
  const resumed = performance.now();
  await c.end();
  return {
    readyMs: ready - t0,
    withJournalsMs: resumed - t0,
    rows: inv.rowCount! + small[0]!.rowCount! + small[1]!.rowCount! + journal.rowCount!,
    bytes: bytesOf(inv.rows) + bytesOf(journal.rows),
  };
}

/** (b): the same invocations in a local SQLite, snapshotted into PostgreSQL, then a log tail of W1 batches. */
async function populateSnapshotAndTail(server: PostgresServer, c: pg.Client, dir: string, m: number, n: number) {
  const db = openSqlite(join(dir, "leader.db"), false);
  const ins = db.prepare("INSERT INTO invocations (seq, partition_id, id, service, object_key, status, created_at, modified_at, completed_at, output, expires_at) VALUES (?, ?, ?, 'Bench', '', ?, 0, 0, ?, ?, ?)");
  const jr = db.prepare("INSERT INTO journal (partition_id, invocation_seq, idx, type, frame) VALUES (?, ?, ?, ?, ?)");
  const sizes = [40, 24, 20, 20];
  const types = [ENTRY.input, ENTRY.run, ENTRY.runDone, ENTRY.output];
  db.transaction(() => {
    for (let g = 1; g <= m + n; g++) {
      const done = g <= m;
      ins.run(g, P, newInvocationId(), done ? "completed" : "invoked", done ? 0 : null, done ? randomFillSync(Buffer.alloc(28)) : null, done ? RETENTION : null);
      for (let i = 0; i < (done ? 4 : 2); i++) jr.run(P, g, i, types[i]!, randomFillSync(Buffer.alloc(8 + sizes[i]!)));
    }
  })();
  db.pragma("wal_checkpoint(TRUNCATE)");
  const s0 = [nodeCpuSeconds(), server.cpuSeconds(), performance.now()];
  const image = db.serialize();
  const s1 = [nodeCpuSeconds(), server.cpuSeconds(), performance.now()];
  await storeSnapshot(c, P, 1, image);
  const s2 = [nodeCpuSeconds(), server.cpuSeconds(), performance.now()];
  db.close();
  // The tail: W1 invocations after the snapshot, in batches of 128 commands as the throughput run makes them.
  let lsn = 1;
  const tail: Command[] = [];
  let seq = 0;
  while (tail.length < TAIL) {
    const id = newInvocationId();
    const now = Date.now();
    tail.push(
      { k: "invoke", id, key: "", input: FRAMES.input(seq++), now },
      { k: "journal", id, entries: [{ type: ENTRY.run, frame: FRAMES.run() }], now },
      { k: "journal", id, entries: [{ type: ENTRY.runDone, frame: FRAMES.runDone(seq) }], now },
      { k: "journal", id, entries: [{ type: ENTRY.output, frame: FRAMES.output(seq) }], now },
      { k: "end", id, output: FRAMES.output(seq), now },
    );
  }
  for (let i = 0; i < tail.length; i += 128) {
    const batch = tail.slice(i, i + 128);
    await c.query("INSERT INTO log (partition_id, lsn, epoch, payload) VALUES ($1, $2, 1, $3)", [P, ++lsn, encodeBatch(batch)]);
  }
  return {
    snapshotBytes: image.length,
    serializeMs: s1[2]! - s0[2]!,
    storeMs: s2[2]! - s1[2]!,
    snapshotNodeCpuMs: (s2[0]! - s0[0]!) * 1000,
    snapshotPgCpuMs: (s2[1]! - s1[1]!) * 1000,
  };
}

/** (b) takeover: seal the log at its tail, fetch the snapshot, open it, restore the model, replay the tail. */
async function takeoverLog(server: PostgresServer, dir: string) {
  const c = new pg.Client(server.connection);
  await c.connect();
  const t0 = performance.now();
  await c.query("BEGIN");
  await c.query("UPDATE leases SET epoch = epoch + 1, holder = 'node-2', expires_at = now() + interval '10 seconds' WHERE partition_id = $1", [P]);
  const tailLsn = Number((await c.query("SELECT coalesce(max(lsn), 0) AS l FROM log WHERE partition_id = $1", [P])).rows[0].l);
  // The seal: the old leader's next append collides with this row's key.
  await c.query("INSERT INTO log (partition_id, lsn, epoch, payload) VALUES ($1, $2, 2, ''::bytea)", [P, tailLsn + 1]);
  await c.query("COMMIT");
  const snapLsn = Number((await c.query("SELECT max(lsn) AS l FROM snapshots WHERE partition_id = $1", [P])).rows[0].l);
  // bytea arrives as hex text (twice its size): the pg driver has no binary results.
  const snap = await c.query("SELECT data FROM snapshots WHERE partition_id = $1 AND lsn = $2 ORDER BY chunk", [P, snapLsn]);
  const file = join(dir, `restored-${Date.now()}.db`);
  const image = Buffer.concat(snap.rows.map((r) => r.data as Buffer));
  writeFileSync(file, image);
  const fetched = performance.now();
  const db = openSqlite(file, false);
  const model = new PartitionModel(P, RETENTION);
  const rows = db.prepare(
    `SELECT i.*, (SELECT count(*) FROM journal j WHERE j.partition_id = i.partition_id AND j.invocation_seq = i.seq) AS jl
     FROM invocations i WHERE partition_id = ? AND status <> 'completed'`,
  ).all(P) as Array<Record<string, unknown>>;
  for (const r of rows) model.live.set(String(r.id), { id: String(r.id), seq: Number(r.seq), service: String(r.service), key: String(r.object_key), status: r.status as "invoked", journalLength: Number(r.jl), createdAt: Number(r.created_at) });
  model.nextSeq = Number((db.prepare("SELECT coalesce(max(seq), 0) AS s FROM invocations WHERE partition_id = ?").get(P) as { s: number }).s) + 1;
  const restored = performance.now();
  const log = await c.query("SELECT payload FROM log WHERE partition_id = $1 AND lsn > $2 AND lsn <= $3 ORDER BY lsn", [P, snapLsn, tailLsn]);
  const sink = new SqliteSink(db, P);
  const tx = { begin: db.prepare("BEGIN"), commit: db.prepare("COMMIT") };
  const sps = savepointStatements(db);
  let logBytes = 0;
  for (const r of log.rows) {
    // An empty payload is an earlier leader's seal (epoch record), not commands.
    if ((r.payload as Buffer).length === 0) continue;
    logBytes += (r.payload as Buffer).length;
    applyLocally(db, tx, sps, model, sink, decodeBatch(r.payload as Buffer));
  }
  const replayed = performance.now();
  db.close();
  await c.end();
  return {
    fetchMs: fetched - t0,
    restoreMs: restored - fetched,
    replayMs: replayed - restored,
    readyMs: replayed - t0,
    snapshotBytes: image.length,
    logRows: log.rowCount!,
    logBytes,
  };
}

async function main(): Promise<void> {
  const server = await startPrototypePostgres();
  const admin = new pg.Client(server.connection);
  await admin.connect();
  const results: unknown[] = [];
  try {
    for (const m of Ms) {
      await resetSchema(admin, 1);
      await populateRows(admin, m, N);
      const a = [];
      for (let i = 0; i < REPEATS; i++) a.push(await takeoverRows(server));
      const dir = mkdtempSync(join(tmpdir(), "stet-pgproto-failover-"));
      const snap = await populateSnapshotAndTail(server, admin, dir, m, N);
      const b = [];
      for (let i = 0; i < REPEATS; i++) b.push(await takeoverLog(server, dir));
      rmSync(dir, { recursive: true, force: true });
      const med = <T>(xs: T[], f: (x: T) => number) => round(median(xs.map(f)), 1);
      const res = {
        inflight: N,
        completed: m,
        load1: load1(),
        a: { readyMs: med(a, (x) => x.readyMs), withJournalsMs: med(a, (x) => x.withJournalsMs), rows: a[0]!.rows, bytes: a[0]!.bytes, readyMsAll: a.map((x) => round(x.readyMs, 1)) },
        b: {
          readyMs: med(b, (x) => x.readyMs),
          fetchMs: med(b, (x) => x.fetchMs),
          restoreMs: med(b, (x) => x.restoreMs),
          replayMs: med(b, (x) => x.replayMs),
          snapshotBytes: b[0]!.snapshotBytes,
          logRows: b[0]!.logRows,
          logBytes: b[0]!.logBytes,
          tailCommands: TAIL,
          readyMsAll: b.map((x) => round(x.readyMs, 1)),
        },
        snapshot: { ...snap, serializeMs: round(snap.serializeMs, 1), storeMs: round(snap.storeMs, 1), snapshotNodeCpuMs: round(snap.snapshotNodeCpuMs, 0), snapshotPgCpuMs: round(snap.snapshotPgCpuMs, 0) },
      };
      console.log(JSON.stringify(res));
      results.push(res);
    }
  } finally {
    await admin.end();
    await server.close();
  }
  const out = `${args.out}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  writeFileSync(out, JSON.stringify(results, null, 2));
  console.log(`results: ${out}`);
}

await main();
