// Baseline: stet as it is today. One SQLite file for every partition, fsync on commit, one group
// commit across all partitions, each command in its own savepoint, the commit blocking the event loop.
import { join } from "node:path";
import type { Database as Db, Statement } from "better-sqlite3";
import { BatchLoop, mergeStats, type Engine } from "./engine.js";
import { PartitionModel, type Command, type Outcome } from "./model.js";
import { openSqlite, SqliteSink } from "./sqlite-sink.js";

/** Applies commands inside an open SQLite transaction, each in a savepoint, as stet's committer does. */
export function applyInSavepoints(db: Db, stmts: Record<"sp" | "release" | "rollbackTo", Statement>, run: () => Outcome): Outcome {
  stmts.sp.run();
  try {
    const out = run();
    stmts.release.run();
    return out;
  } catch (error) {
    stmts.rollbackTo.run();
    stmts.release.run();
    throw error;
  }
}

export function savepointStatements(db: Db): Record<"sp" | "release" | "rollbackTo", Statement> {
  return { sp: db.prepare("SAVEPOINT c"), release: db.prepare("RELEASE c"), rollbackTo: db.prepare("ROLLBACK TO c") };
}

export class SqliteEngine implements Engine {
  readonly name = "sqlite";
  readonly #db: Db;
  readonly #models: PartitionModel[] = [];
  readonly #sinks: SqliteSink[] = [];
  readonly #loop: BatchLoop<{ p: number; cmd: Command }>;

  constructor(
    dir: string,
    readonly partitions: number,
    retentionMs: number,
  ) {
    this.#db = openSqlite(join(dir, "stet.db"), true);
    for (let p = 0; p < partitions; p++) {
      this.#models.push(new PartitionModel(p, retentionMs));
      this.#sinks.push(new SqliteSink(this.#db, p));
    }
    const begin = this.#db.prepare("BEGIN");
    const commit = this.#db.prepare("COMMIT");
    const sps = savepointStatements(this.#db);
    this.#loop = new BatchLoop((items) => {
      begin.run();
      const outcomes = items.map(({ p, cmd }) => applyInSavepoints(this.#db, sps, () => this.#models[p]!.apply(cmd, this.#sinks[p]!)));
      commit.run();
      return outcomes;
    });
  }

  propose(partition: number, cmd: Command): Promise<Outcome> {
    return this.#loop.submit({ p: partition, cmd });
  }
  model(partition: number): PartitionModel {
    return this.#models[partition]!;
  }
  takeStats() {
    return mergeStats([this.#loop as BatchLoop<unknown>]);
  }
  async close(): Promise<void> {
    this.#db.close();
  }
}
