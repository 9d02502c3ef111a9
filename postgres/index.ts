/**
 * The PostgreSQL implementation of stet's storage seams, for cluster mode (issue 15): several nodes share
 * one database. What is here so far: connections (`PostgresDatabase`), versioned schemas applied safely
 * by nodes that start together, the cluster's fixed settings, partition leases with the fence that
 * every leader's transaction starts with, the deployment registry every node shares, and the system
 * tables of `POST /query` (query/). Only this folder imports `pg` or writes PostgreSQL's SQL.
 */
export { PostgresDatabase, type PostgresOptions, type Queryable } from "./connect.js";
export { applyPgMigrations, schemaVersion, type PgMigration } from "./migrations.js";
export { settleClusterSettings, type ClusterSettings, type ClusterSettingsRequest } from "./cluster-settings.js";
export { PgLeaseStore, fence, fencedTransaction, type FencedLease } from "./lease-store.js";
export { PgRegistryStore } from "./registry-store.js";
export { ClusterPartitionsMismatchError, PostgresArgumentError, StoreUnavailableError, StoreUrlError } from "./errors.js";
export { PgPartitionStore } from "./partition-store.js";
export { openPostgresStorage, type PostgresStorage } from "./open-postgres-storage.js";
export { PgNodeDirectory, type NodeAddress } from "./node-directory.js";
export { PgSystemTables } from "./query/pg-system-tables.js";
