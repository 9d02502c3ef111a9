import { PostgresDatabase, type PostgresOptions } from "./connect.js";
import type { StoreUnavailableError } from "./errors.js";
import { settleClusterSettings } from "./cluster-settings.js";
import { PgLeaseStore } from "./lease-store.js";
import { PgNodeDirectory } from "./node-directory.js";
import { PgPartitionStore } from "./partition-store.js";
import { PgRegistryStore } from "./registry-store.js";
import { applyPgMigrations } from "./migrations.js";
import { QUERY_PG_MIGRATIONS } from "./query/query-schema.js";

/** A cluster node's storage in the cluster's PostgreSQL database. */
export interface PostgresStorage {
  /** The cluster's partition count, fixed when its database was created. */
  readonly partitionCount: number;
  readonly partitions: PgPartitionStore;
  readonly leases: PgLeaseStore;
  readonly registry: PgRegistryStore;
  /** The cluster's nodes and where they answer. */
  readonly nodes: PgNodeDirectory;
  /** Why PostgreSQL cannot be reached, as the node's last statement found; undefined while it answers. */
  unavailable(): StoreUnavailableError | undefined;
  /** Closes the node's connections once the queries under way have finished. Idempotent. */
  close(): Promise<void>;
}

/**
 * Connects to the cluster's database at `url`, settles its partition count (a new cluster takes
 * `options.partitions`, or `defaultPartitions` when that is undefined; an existing one refuses a
 * conflicting count with ClusterPartitionsMismatchError) and brings every component's tables up to date.
 */
export async function openPostgresStorage(
  url: string,
  options: { partitions: number | undefined; defaultPartitions: number } & Pick<PostgresOptions, "onAvailabilityChange">,
): Promise<PostgresStorage> {
  const db = await PostgresDatabase.connect({ url, onAvailabilityChange: options.onAvailabilityChange });
  try {
    const settings = await settleClusterSettings(db, options);
    const leases = await PgLeaseStore.open(db);
    const nodes = await PgNodeDirectory.open(db);
    const registry = await PgRegistryStore.open(db);
    const partitions = await PgPartitionStore.open(db, settings.partitions);
    // After the tables they are views of.
    await applyPgMigrations(db, "query", QUERY_PG_MIGRATIONS);
    return {
      partitionCount: settings.partitions,
      partitions,
      leases,
      registry,
      nodes,
      unavailable: () => db.unavailable,
      close: () => db.close(),
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
