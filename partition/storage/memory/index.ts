/**
 * The partition store in memory (partition/storage/partition-store.ts): a PostgreSQL leader's mirror of
 * its partitions, whose batches hand their changes to the database as one write set, and the store of
 * stet's in-process test engine. It has the SQLite store's semantics, held to them by
 * test/unit/storage/partition-store-contract.ts.
 */
export { MemoryPartitionStore, type MemoryStoreOptions } from "./memory-partition-store.js";
export type { Sequences, SequenceName } from "./store-context.js";
export type * from "./write-set.js";
export { fromColumns, toColumns } from "./write-set.js";
export {
  MEMORY_STORE_ERROR_CODES,
  BatchMisuseError,
  PersistFailedError,
  StorageConstraintError,
  StorageFullError,
  StorageIoError,
  StoreBusyError,
} from "./errors.js";
