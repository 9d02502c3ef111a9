export { SqlitePartitionStore } from "./store/sqlite-partition-store.js";
export { LeaseTable, SqliteLeaseStore, type LeaseClock } from "./lease-table.js";
export { applyMigrations, type Migration } from "./store/migrations.js";
export { SchemaTooNewError } from "../partition/storage/schema-errors.js";
export { openDatabase, holdDatabase, lockFolder, DatabaseLockedError } from "./store/open-database.js";
export { openSqliteStorage, type SqliteStorage, type SqliteStorageOptions } from "./open-sqlite-storage.js";
