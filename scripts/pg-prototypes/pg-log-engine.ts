// Option (b), Restate's way: PostgreSQL keeps only a command log per partition (one row per group-commit
// batch, fenced by its primary key) and snapshots. The leader appends a batch, and once the append is
// durable applies it to its local state (the model, and a local SQLite without fsync), synchronously,
// as stet's apply runs today. A new leader restores the latest snapshot and replays the log after it.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Database as Db, Statement } from "better-sqlite3";
import pg from "pg";
import { encodeBatch } from "./codec.js";
import { BatchLoop, mergeStats, type Engine } from "./engine.js";
import { PartitionModel, type Command, type Outcome } from "./model.js";
import { applyInSavepoints, savepointStatements } from "./sqlite-engine.js";
import { openSqlite, SqliteSink } from "./sqlite-sink.js";

/** Snapshots go to PostgreSQL in chunks of this size (bytea values past 1 GB are refused; 8 MB keeps TOAST busy but bounded). */
export const SNAPSHOT_CHUNK = 8 << 20;

export interface SnapshotStats {
  count: number;
  bytes: number;
  /** Node time to serialize the local database (blocks the partition's apply). */
  serializeMs: number[];
  /** Time to store it in PostgreSQL and trim the log behind it. */
  storeMs: number[];
}

interface Partition {
  readonly model: PartitionModel;
  readonly db: Db;
  readonly sink: SqliteSink;
  readonly apply: (cmds: readonly Command[]) => Outcome[];
  lsn: number;
  snapshotting: boolean;
}

type Item = { p: number; cmd: Command };

const APPEND = {
  name: "append",
  // One row per partition in the batch. A unique violation means another leader sealed one of these
  // logs at this position: this node is fenced there (and the batch, all or nothing, is not stored).
  text: "INSERT INTO log (partition_id, lsn, epoch, payload) SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::bytea[])",
};

/**
 * `grouping`: "partition" appends each partition's batches on its own connection; "node" appends the
 * batches of every partition this node leads in one statement per tick (one row each, one fsync).
 */
export class PgLogEngine implements Engine {
  readonly name: string;
  readonly #parts: Partition[] = [];
  readonly #clients: pg.Client[] = [];
  readonly #loops: BatchLoop<Item>[] = [];
  #snapshotClient!: pg.Client;
  #timer: NodeJS.Timeout | undefined;
  #snapshotting: Promise<void> | undefined;
  readonly snapshots: SnapshotStats = { count: 0, bytes: 0, serializeMs: [], storeMs: [] };
  logBytes = 0;

  private constructor(
    readonly partitions: number,
    readonly grouping: "partition" | "node",
    readonly epoch: number,
  ) {
    this.name = grouping === "node" ? "b+" : "b";
  }

  static async open(
    conn: pg.ClientConfig,
    dir: string,
    partitions: number,
    retentionMs: number,
    opts: { snapshotEveryMs: number; grouping?: "partition" | "node"; epoch?: number },
  ): Promise<PgLogEngine> {
    const engine = new PgLogEngine(partitions, opts.grouping ?? "partition", opts.epoch ?? 1);
    mkdirSync(dir, { recursive: true });
    engine.#snapshotClient = new pg.Client(conn);
    await engine.#snapshotClient.connect();
    for (let p = 0; p < partitions; p++) {
      // One local database per partition, so a partition's snapshot moves alone.
      const db = openSqlite(join(dir, `partition-${p}.db`), false);
      const model = new PartitionModel(p, retentionMs);
      const sink = new SqliteSink(db, p);
      const tx = { begin: db.prepare("BEGIN"), commit: db.prepare("COMMIT") };
      const sps = savepointStatements(db);
      engine.#parts.push({ model, db, sink, lsn: 0, snapshotting: false, apply: (cmds) => applyLocally(db, tx, sps, model, sink, cmds) });
    }
    const loopCount = engine.grouping === "node" ? 1 : partitions;
    for (let i = 0; i < loopCount; i++) {
      const client = new pg.Client(conn);
      await client.connect();
      engine.#clients.push(client);
      engine.#loops.push(new BatchLoop((items) => engine.#commit(client, items)));
    }
    if (opts.snapshotEveryMs > 0) {
      // One snapshot at a time: they share one connection, and each is its own transaction.
      engine.#timer = setInterval(() => {
        if (engine.#snapshotting) return;
        engine.#snapshotting = (async () => {
          for (const part of engine.#parts) await engine.#snapshot(part);
        })().finally(() => (engine.#snapshotting = undefined));
      }, opts.snapshotEveryMs);
    }
    return engine;
  }

  async #commit(client: pg.Client, items: readonly Item[]): Promise<Outcome[]> {
    const byPartition = new Map<number, Command[]>();
    for (const { p, cmd } of items) {
      let cmds = byPartition.get(p);
      if (cmds === undefined) byPartition.set(p, (cmds = []));
      cmds.push(cmd);
    }
    const ps = [...byPartition.keys()];
    const payloads = ps.map((p) => encodeBatch(byPartition.get(p)!));
    // The append is the commit: durable (WAL flushed) when it returns.
    await client.query({ ...APPEND, values: [ps, ps.map((p) => this.#parts[p]!.lsn + 1), ps.map(() => this.epoch), payloads] });
    const results = new Map<number, Outcome[]>();
    ps.forEach((p, i) => {
      const part = this.#parts[p]!;
      part.lsn++;
      this.logBytes += payloads[i]!.length;
      results.set(p, part.apply(byPartition.get(p)!));
    });
    const next = new Map<number, number>();
    return items.map(({ p }) => {
      const i = next.get(p) ?? 0;
      next.set(p, i + 1);
      return results.get(p)![i]!;
    });
  }

  /**
   * Serialize the local database between two batches (apply is synchronous, so any moment outside it is
   * a consistent state at `lsn`), store it, then trim the log up to that lsn.
   */
  async #snapshot(part: Partition): Promise<void> {
    if (part.snapshotting) return;
    part.snapshotting = true;
    try {
      const t0 = performance.now();
      part.db.pragma("wal_checkpoint(TRUNCATE)");
      const lsn = part.lsn;
      const image = part.db.serialize();
      const t1 = performance.now();
      await storeSnapshot(this.#snapshotClient, part.model.partition, lsn, image);
      this.snapshots.count++;
      this.snapshots.bytes += image.length;
      this.snapshots.serializeMs.push(t1 - t0);
      this.snapshots.storeMs.push(performance.now() - t1);
    } finally {
      part.snapshotting = false;
    }
  }

  propose(partition: number, cmd: Command): Promise<Outcome> {
    return this.#loops[this.grouping === "node" ? 0 : partition]!.submit({ p: partition, cmd });
  }
  model(partition: number): PartitionModel {
    return this.#parts[partition]!.model;
  }
  takeStats() {
    return mergeStats(this.#loops as BatchLoop<unknown>[]);
  }
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#snapshotting;
    await Promise.all([...this.#clients.map((c) => c.end()), this.#snapshotClient.end()]);
    for (const p of this.#parts) p.db.close();
  }
}

export function applyLocally(
  db: Db,
  tx: { begin: Statement; commit: Statement },
  sps: ReturnType<typeof savepointStatements>,
  model: PartitionModel,
  sink: SqliteSink,
  cmds: readonly Command[],
): Outcome[] {
  tx.begin.run();
  const outcomes = cmds.map((cmd) => applyInSavepoints(db, sps, () => model.apply(cmd, sink)));
  tx.commit.run();
  return outcomes;
}

/** One snapshot in chunks, the log behind it trimmed and older snapshots dropped, in one transaction. */
export async function storeSnapshot(client: pg.Client, partition: number, lsn: number, image: Buffer): Promise<void> {
  await client.query("BEGIN");
  try {
    for (let at = 0, chunk = 0; at < image.length || chunk === 0; at += SNAPSHOT_CHUNK, chunk++) {
      await client.query("INSERT INTO snapshots (partition_id, lsn, chunk, data) VALUES ($1, $2, $3, $4)", [
        partition,
        lsn,
        chunk,
        image.subarray(at, at + SNAPSHOT_CHUNK),
      ]);
    }
    await client.query("DELETE FROM snapshots WHERE partition_id = $1 AND lsn < $2", [partition, lsn]);
    await client.query("DELETE FROM log WHERE partition_id = $1 AND lsn <= $2", [partition, lsn]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
