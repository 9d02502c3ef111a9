import { StetError, toError } from "../../../protocol/errors.js";

/**
 * The memory store's failures. The codes are stable: the first three are what a disk or a database
 * would answer (the group commit turns them into a refused command), the others are a caller's bug.
 */
export const MEMORY_STORE_ERROR_CODES = {
  full: "STET_STORAGE_FULL",
  io: "STET_STORAGE_IO",
  persistFailed: "STET_STORAGE_PERSIST_FAILED",
  constraint: "STET_STORAGE_CONSTRAINT",
  busy: "STET_STORAGE_BUSY",
  batchMisuse: "STET_STORAGE_BATCH_MISUSE",
} as const;

/** A write that would add a row while `faults.fillDisk()` is on, as a full disk refuses it. */
export class StorageFullError extends StetError {
  constructor(table: string) {
    super(MEMORY_STORE_ERROR_CODES.full, `storage is full (simulated): no room for a new ${table} row`, { status: 503 });
    this.name = "StorageFullError";
  }
}

/** A journal write while `faults.failJournalWrites()` is on. */
export class StorageIoError extends StetError {
  constructor() {
    super(MEMORY_STORE_ERROR_CODES.io, "disk I/O error (simulated)", { status: 503 });
    this.name = "StorageIoError";
  }
}

/** The write-set sink rejected: nothing of the batch is stored, and the store went back to before it. */
export class PersistFailedError extends StetError {
  constructor(cause: unknown) {
    super(MEMORY_STORE_ERROR_CODES.persistFailed, `the batch's write set was not persisted: ${toError(cause).message}`, { status: 503, cause });
    this.name = "PersistFailedError";
  }
}

/** A write that breaks a table's key (a second row with the same key, a journal entry out of place). */
export class StorageConstraintError extends StetError {
  constructor(table: string, detail: string) {
    super(MEMORY_STORE_ERROR_CODES.constraint, `${table}: ${detail}`, { status: 500 });
    this.name = "StorageConstraintError";
  }
}

/** A write or `begin` while a commit is in flight: the write set being persisted must not move under it. */
export class StoreBusyError extends StetError {
  constructor(what: string) {
    super(MEMORY_STORE_ERROR_CODES.busy, `${what} while a commit is in flight`, { status: 500 });
    this.name = "StoreBusyError";
  }
}

/** A batch used after its commit, or a second batch opened beside one that is open. */
export class BatchMisuseError extends StetError {
  constructor(detail: string) {
    super(MEMORY_STORE_ERROR_CODES.batchMisuse, detail, { status: 500 });
    this.name = "BatchMisuseError";
  }
}
