import type { Database, Statement } from "better-sqlite3";
import type { LeadershipFence, PartitionStore, StorageBatch, StorageFaults } from "../../partition/storage/partition-store.js";
import type { PartitionId } from "../../partition/types.js";
import { applyMigrations } from "./migrations.js";
import { PARTITION_MIGRATIONS } from "./partition-schema.js";
import { SqliteInvocationTable } from "./invocation-table.js";
import { SqliteIdempotencyTable, SqlitePromiseTable, SqliteWaiterTable } from "./keyed-tables.js";
import { SqliteLockTable, SqliteStateTable } from "./object-tables.js";
import { SqliteOutboxTable, SqliteTimerTable } from "./schedule-tables.js";
import { SqliteStateMutationTable } from "./state-mutation-table.js";

/** Free pages (4 KiB each) given back to the disk per `compact`: 16 MiB. */
const VACUUM_PAGES_PER_PASS = 4096;

/**
 * All partition state in the node's SQLite file, one table class per concern. A batch is one SQLite
 * transaction (one fsync), each command in a savepoint. One process owns the file (the data folder's
 * lock), so leadership fences need no check here: the lease keeper stops a partition that lost its lease.
 */
export class SqlitePartitionStore implements PartitionStore {
  readonly invocations: SqliteInvocationTable;
  readonly state: SqliteStateTable;
  readonly locks: SqliteLockTable;
  readonly timers: SqliteTimerTable;
  readonly outbox: SqliteOutboxTable;
  readonly idempotency: SqliteIdempotencyTable;
  readonly promises: SqlitePromiseTable;
  readonly waiters: SqliteWaiterTable;
  readonly stateMutations: SqliteStateMutationTable;
  readonly faults: StorageFaults;
  readonly #batch: SqliteBatch;

  /** The connection; for SQLite-specific tests and tools (the partitions use the interface only). */
  constructor(readonly db: Database) {
    applyMigrations(db, "partition", PARTITION_MIGRATIONS);
    this.invocations = new SqliteInvocationTable(db);
    this.state = new SqliteStateTable(db);
    this.locks = new SqliteLockTable(db);
    this.timers = new SqliteTimerTable(db);
    this.outbox = new SqliteOutboxTable(db);
    this.idempotency = new SqliteIdempotencyTable(db);
    this.promises = new SqlitePromiseTable(db);
    this.waiters = new SqliteWaiterTable(db);
    this.stateMutations = new SqliteStateMutationTable(db);
    this.faults = sqliteFaults(db);
    this.#batch = new SqliteBatch(db, () => this.invocations.invalidate());
  }

  begin(): StorageBatch {
    this.#batch.begin();
    return this.#batch;
  }

  /** Every partition's rows are here already. */
  loadPartition(_partition: PartitionId): Promise<void> {
    return Promise.resolve();
  }

  dropPartition(_partition: PartitionId): void {}

  compact(): void {
    this.db.pragma(`incremental_vacuum(${VACUUM_PAGES_PER_PASS})`);
  }

  sizeBytes(): number {
    return (this.db.pragma("page_count", { simple: true }) as number) * (this.db.pragma("page_size", { simple: true }) as number);
  }

  verify(): readonly string[] {
    const rows = this.db.pragma("integrity_check") as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).filter((r) => r !== "ok");
  }
}

/**
 * The one batch of a store, reused: BEGIN, a savepoint per command, COMMIT. Prepared statements rather
 * than a better-sqlite3 transaction wrapper per command (that wrapper was 3% of CPU under load in W1).
 */
class SqliteBatch implements StorageBatch {
  readonly #db: Database;
  readonly #dropCaches: () => void;
  readonly #sql: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", Statement>;
  #broken: Error | undefined;

  constructor(db: Database, dropCaches: () => void) {
    this.#db = db;
    this.#dropCaches = dropCaches;
    this.#sql = {
      begin: db.prepare("BEGIN"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      savepoint: db.prepare("SAVEPOINT command"),
      release: db.prepare("RELEASE command"),
      rollbackTo: db.prepare("ROLLBACK TO command"),
    };
  }

  begin(): void {
    this.#broken = undefined;
    this.#sql.begin.run();
  }

  command<T>(_fence: LeadershipFence | null, work: () => T): T {
    this.#step(this.#sql.savepoint);
    let result: T;
    try {
      result = work();
    } catch (error) {
      this.#step(this.#sql.rollbackTo);
      this.#step(this.#sql.release);
      this.#dropCaches();
      throw error;
    }
    this.#step(this.#sql.release);
    return result;
  }

  commit(): Promise<void> {
    try {
      if (this.#broken !== undefined) throw this.#broken;
      this.#sql.commit.run();
      return Promise.resolve();
    } catch (error) {
      if (this.#db.inTransaction) this.#sql.rollback.run();
      this.#dropCaches();
      return Promise.reject(error as Error);
    }
  }

  /**
   * A savepoint statement of its own that fails leaves the transaction in an unknown state: every
   * later command of the batch fails with the same error, and the commit rolls the batch back.
   */
  #step(statement: Statement): void {
    if (this.#broken !== undefined) throw this.#broken;
    try {
      statement.run();
    } catch (error) {
      this.#broken = error as Error;
      throw error;
    }
  }
}

function sqliteFaults(db: Database): StorageFaults {
  return {
    fillDisk: () => {
      // SQLite refuses to grow the file past its current size, as a full disk would.
      db.pragma(`max_page_count = ${db.pragma("page_count", { simple: true }) as number}`);
      return () => void db.pragma("max_page_count = 4294967294");
    },
    failJournalWrites: () => {
      // A temporary trigger: it lives in this connection only, and never reaches the file.
      db.exec("CREATE TEMP TRIGGER IF NOT EXISTS simulated_io_error BEFORE INSERT ON journal BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END;");
      return () => db.exec("DROP TRIGGER IF EXISTS simulated_io_error");
    },
  };
}
