import type { LeaseStore, PartitionStore } from "../partition/index.js";
import { StetError } from "../protocol/errors.js";
import { DatabaseLockedError, openSqliteStorage } from "../sqlite/index.js";
import { DataDirInUseError } from "./config-errors.js";
import { DEFAULT_PARTITIONS, type StetConfig } from "./config.js";
import type { OpenedDataDir } from "./data-dir.js";
import { describeOwner } from "./data-dir-owner.js";
import type { QueryRunner } from "./admin/query-route.js";
import { QueryProcess } from "./query/query-process.js";
import type { RegistryStore } from "./registry/index.js";
import type { LiveInvocationState } from "../invoker/index.js";
import type { LeaderSource, NodeRoster } from "./routing/index.js";

/** Where a node keeps what must survive it: the partitions' state, their leases and the registry. */
export interface NodeStorage {
  /** `sqlite`: the data folder's file, this node alone. `postgres`: a database shared by a cluster's nodes. */
  readonly kind: "sqlite" | "postgres";
  /** Fixed when the store was created: the data folder's, or the cluster's. */
  readonly partitionCount: number;
  readonly partitions: PartitionStore;
  readonly leases: LeaseStore;
  readonly registry: RegistryStore;
  /** The cluster's live nodes and its partitions' leaders (PostgreSQL); undefined on SQLite, a node alone. */
  readonly nodes?: NodeRoster & LeaderSource;
  /**
   * Why the store cannot be reached right now (STET_STORE_UNAVAILABLE), judged by the outcome of the
   * node's last statement; undefined while it answers, and always on SQLite. Free to call per request.
   */
  unavailable(): StetError | undefined;
  /** What answers `POST /query` over this store. */
  queries(live: () => readonly LiveInvocationState[], limitMs: number | undefined): QueryRunner & { close(): Promise<void> | void };
  close(): Promise<void> | void;
}

/** Opens the store `config` names: the data folder's SQLite file by default, or the cluster's PostgreSQL. */
export async function openNodeStorage(
  config: StetConfig,
  dataDir: OpenedDataDir,
  /** Told once when a shared store stops answering (why) and once when it answers again (undefined). */
  onAvailabilityChange?: (error: StetError | undefined) => void,
): Promise<NodeStorage> {
  if (config.store !== undefined) return openClusterStorage(config.store, config.partitions, onAvailabilityChange);
  const sqlite = openFolderStorage(dataDir);
  return {
    kind: "sqlite",
    partitionCount: dataDir.settings.partitions,
    partitions: sqlite.partitions,
    leases: sqlite.leases,
    registry: sqlite.registry,
    unavailable: () => undefined,
    queries: (live, limitMs) => new QueryProcess({ store: { sqlite: dataDir.dbFile }, live, limitMs }),
    close: () => sqlite.close(),
  };
}

/** The folder's database, or a failure naming the process that holds it. */
function openFolderStorage(dataDir: OpenedDataDir) {
  try {
    return openSqliteStorage(dataDir.dbFile);
  } catch (error) {
    if (error instanceof DatabaseLockedError) throw new DataDirInUseError(dataDir.dir, describeOwner(dataDir.dir), "start", error);
    throw error;
  }
}

async function openClusterStorage(
  url: string,
  partitions: number | undefined,
  onAvailabilityChange: ((error: StetError | undefined) => void) | undefined,
): Promise<NodeStorage> {
  // Loaded only here: a node on SQLite never loads the PostgreSQL driver.
  // Not through postgres/index.js, which also exports the /query reader and with it the SQL parser.
  const { openPostgresStorage } = await import("../postgres/open-postgres-storage.js");
  const pg = await openPostgresStorage(url, { partitions, defaultPartitions: DEFAULT_PARTITIONS, onAvailabilityChange });
  return {
    kind: "postgres",
    partitionCount: pg.partitionCount,
    partitions: pg.partitions,
    leases: pg.leases,
    registry: pg.registry,
    nodes: pg.nodes,
    unavailable: () => pg.unavailable(),
    // The cluster's views answer alike on every node; the live state is this node's invoker's.
    queries: (live, limitMs) => new QueryProcess({ store: { postgres: url }, live, limitMs }),
    close: () => pg.close(),
  };
}
