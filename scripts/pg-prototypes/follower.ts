// A hot standby for option (b): another node's copy of each partition, kept current by tailing the log
// in PostgreSQL and applying it to its own local SQLite, so that a takeover reads only the records it has
// not applied yet instead of a whole snapshot. Here it runs in the leader's process, so the harness counts
// its CPU with the leader's: the cost of keeping a standby is the point of measuring it.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Database as Db, Statement } from "better-sqlite3";
import pg from "pg";
import { decodeBatch } from "./codec.js";
import { PartitionModel } from "./model.js";
import { applyLocally } from "./pg-log-engine.js";
import { savepointStatements } from "./sqlite-engine.js";
import { openSqlite, SqliteSink } from "./sqlite-sink.js";

interface Copy {
  readonly model: PartitionModel;
  readonly db: Db;
  readonly sink: SqliteSink;
  readonly tx: { begin: Statement; commit: Statement };
  readonly sps: ReturnType<typeof savepointStatements>;
  lsn: number;
}

const TAIL = `SELECT l.partition_id, l.lsn, l.payload FROM log l JOIN unnest($1::int[], $2::bigint[]) AS u(p, after)
  ON l.partition_id = u.p AND l.lsn > u.after ORDER BY l.partition_id, l.lsn`;

export class LogFollower {
  readonly #copies: Copy[] = [];
  #client!: pg.Client;
  #stopped = false;
  #loop: Promise<void> = Promise.resolve();
  polls = 0;
  records = 0;

  static async start(conn: pg.ClientConfig, dir: string, partitions: number, retentionMs: number, pollMs: number): Promise<LogFollower> {
    const f = new LogFollower();
    mkdirSync(dir, { recursive: true });
    // Bigints come back as strings here; the payload as bytes.
    f.#client = new pg.Client(conn);
    await f.#client.connect();
    for (let p = 0; p < partitions; p++) {
      const db = openSqlite(join(dir, `standby-${p}.db`), false);
      f.#copies.push({
        model: new PartitionModel(p, retentionMs),
        db,
        sink: new SqliteSink(db, p),
        tx: { begin: db.prepare("BEGIN"), commit: db.prepare("COMMIT") },
        sps: savepointStatements(db),
        lsn: 0,
      });
    }
    f.#loop = f.#run(pollMs);
    return f;
  }

  async #run(pollMs: number): Promise<void> {
    while (!this.#stopped) {
      const res = await this.#client.query({
        name: "tail",
        text: TAIL,
        values: [this.#copies.map((_, p) => p), this.#copies.map((c) => c.lsn)],
      });
      this.polls++;
      for (const row of res.rows as Array<{ partition_id: number; lsn: string; payload: Buffer }>) {
        const copy = this.#copies[row.partition_id]!;
        copy.lsn = Number(row.lsn);
        this.records++;
        if (row.payload.length > 0) applyLocally(copy.db, copy.tx, copy.sps, copy.model, copy.sink, decodeBatch(row.payload));
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  async close(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    await this.#client.end();
    for (const c of this.#copies) c.db.close();
  }
}
