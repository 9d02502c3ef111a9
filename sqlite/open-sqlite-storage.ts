import { SqliteLeaseStore, type LeaseClock } from "./lease-table.js";
import { openDatabase, type OpenDatabaseOptions } from "./store/open-database.js";
import { SqliteRegistryStore } from "./registry/sqlite-registry-store.js";
import { SqlitePartitionStore } from "./store/sqlite-partition-store.js";

export interface SqliteStorageOptions extends OpenDatabaseOptions {
  /** The leases' clock; wall-clock time by default. */
  readonly clock?: LeaseClock;
}

/** A node's state in its SQLite file: the partitions' tables, their leases and the deployment registry. */
export interface SqliteStorage {
  readonly partitions: SqlitePartitionStore;
  readonly leases: SqliteLeaseStore;
  readonly registry: SqliteRegistryStore;
  close(): void;
}

/**
 * Opens (or creates) the node's SQLite file and brings every component's tables up to date, all in one
 * transaction: one fsync on a new data folder instead of one per migration step.
 */
export function openSqliteStorage(file: string, options: SqliteStorageOptions = {}): SqliteStorage {
  const db = openDatabase(file, options);
  try {
    return db.transaction(() => ({
      partitions: new SqlitePartitionStore(db),
      leases: new SqliteLeaseStore(db, options.clock ?? { now: () => Date.now() }),
      registry: new SqliteRegistryStore(db),
      close: () => db.close(),
    }))();
  } catch (error) {
    db.close();
    throw error;
  }
}
