import type { Database, Statement } from "better-sqlite3";
import { performance } from "node:perf_hooks";
import { StetError, toError } from "../protocol/errors.js";
import type { PartitionStats } from "./partition-stats.js";

/** A unit of work applied inside the shared transaction; `after` runs once the batch is durable. */
export interface Applied<T> {
  readonly result: T;
  readonly after?: () => void;
}

interface Pending {
  readonly work: () => Applied<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

export class CommitterClosedError extends StetError {
  constructor() {
    super("STET_COMMITTER_CLOSED", "the storage committer is closed; no further commands are accepted", {
      status: 503,
    });
  }
}

/**
 * Group commit: every command submitted in the same tick shares one SQLite transaction and one fsync
 * (DESIGN.md, Storage). Each command runs in its own savepoint so a failing command rolls back alone;
 * a failed COMMIT rejects the whole batch, and nothing of it is acknowledged.
 */
export class GroupCommitter {
  #queue: Pending[] = [];
  #scheduled = false;
  #closed = false;
  #batches = 0;

  constructor(
    private readonly db: Database,
    /** Told about a post-commit callback that threw: the commit stands, the error must not go unseen. */
    private readonly onAfterError: (error: Error) => void = () => {},
    /** Told when any work was rolled back, so in-memory mirrors of the database can be dropped. */
    private readonly onRollback: () => void = () => {},
    /** Told each committed batch's size and time (metrics). */
    private readonly stats?: Pick<PartitionStats, "committed">,
  ) {
    this.#sql = {
      begin: db.prepare("BEGIN"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      savepoint: db.prepare("SAVEPOINT command"),
      release: db.prepare("RELEASE command"),
      rollbackTo: db.prepare("ROLLBACK TO command"),
    };
  }

  readonly #sql: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", Statement>;

  /** How many transactions were committed; a gauge for tests and benchmarks. */
  get batchCount(): number {
    return this.#batches;
  }

  submit<T>(work: () => Applied<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new CommitterClosedError());
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Commits what is queued, then refuses new work. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#flush();
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    const outcomes: Array<{ ok: true; applied: Applied<unknown> } | { ok: false; error: Error }> = [];
    const startedAt = performance.now();
    try {
      this.#sql.begin.run();
      try {
        for (const item of batch) {
          // A savepoint per command: a throwing command undoes only itself. Prepared statements rather
          // than a better-sqlite3 transaction wrapper per command (3% of CPU under load in W1).
          this.#sql.savepoint.run();
          try {
            outcomes.push({ ok: true, applied: item.work() });
            this.#sql.release.run();
          } catch (error) {
            this.#sql.rollbackTo.run();
            this.#sql.release.run();
            this.onRollback();
            outcomes.push({ ok: false, error: toError(error) });
          }
        }
        this.#sql.commit.run();
      } catch (error) {
        if (this.db.inTransaction) this.#sql.rollback.run();
        throw error;
      }
    } catch (error) {
      this.onRollback();
      const failure = new StetError("STET_STORAGE_COMMIT_FAILED", `storage commit failed: ${toError(error).message}`, {
        status: 503,
        cause: error,
      });
      for (const item of batch) item.reject(failure);
      return;
    }
    this.#batches++;
    this.stats?.committed(batch.length, (performance.now() - startedAt) / 1000);
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) {
        item.reject(outcome.error);
        return;
      }
      try {
        outcome.applied.after?.();
      } catch (error) {
        this.onAfterError(toError(error));
      }
      item.resolve(outcome.applied.result);
    });
  }
}
