import BetterSqlite3, { type Database } from "better-sqlite3";
import fs from "node:fs";
import { StetError, toError } from "../../protocol/errors.js";

/**
 * SQLite's page cache, in KiB. better-sqlite3 builds SQLite with a 16 MiB default; the pages stet reads
 * back (recent journal, invocation and inbox rows, the b-trees' inner pages) fit in far less, and the
 * rest is read from the OS's cache. Measured with `npm run bench`: 4 MiB took 7-19 MB off peak RSS (W7,
 * SCALE) at the same CPU per invocation.
 */
export const PAGE_CACHE_KIB = 4096;

export interface OpenDatabaseOptions {
  /** `full` fsyncs every commit (the default, like Restate's log); `normal` trades the last commits for speed. */
  readonly synchronous?: "full" | "normal";
}

/** The database file is held by another process (a running stet, or a wipe under way). */
export class DatabaseLockedError extends StetError {
  constructor(file: string, cause: unknown) {
    super("STET_DATABASE_LOCKED", `the database ${file} is locked by another process`, { status: 500, cause });
    this.name = "DatabaseLockedError";
  }
}

/**
 * Opens (or creates) the node's SQLite file in WAL mode. Its locking mode is SQLite's normal one, so that
 * a read-only connection (the query side) can read beside the writer; keeping a second stet off the folder
 * is `lockFolder`'s job, which the node takes first. Measured with `npm run bench` (W1 and W3, stet alone,
 * 2 alternating pairs of 2 rounds): CPU per 1000 invocations 0.80 / 2.5 s with an exclusive lock and
 * 0.75 / 2.0 s without, within the noise of this machine.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  const db = new BetterSqlite3(file);
  // A stet of an earlier version holds the file with an exclusive lock: the first write fails at once then.
  firstWrite(db, file, () => {
    // Only takes effect on a new database file: lets the expiry pass give freed pages back to the disk.
    db.pragma("auto_vacuum = INCREMENTAL");
    db.pragma("journal_mode = WAL");
  });
  db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
  db.pragma("foreign_keys = ON");
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  return db;
}

/**
 * Takes a lock file (created if missing) for this process alone, until `release()` or the process's end,
 * whatever way it ends: the kernel drops SQLite's POSIX lock with the process. A second taker fails at
 * once with DatabaseLockedError. A data folder's `stet.lock`: one stet (or one wipe) at a time.
 */
export function lockFolder(lockFile: string): { release(): void } {
  const db = new BetterSqlite3(lockFile);
  takeExclusively(db, lockFile);
  return { release: () => db.close() };
}

/**
 * Takes an existing database file for this process alone, through the exclusive lock a stet of an
 * earlier version held on it: `stet wipe` checks this after it took the folder's lock file. A missing
 * file needs no lock. Never call it on a database a running stet may have open: it would block its writes.
 */
export function holdDatabase(file: string): { release(): void } {
  let db: Database;
  try {
    db = new BetterSqlite3(file, { fileMustExist: true });
  } catch (error) {
    if (!fs.existsSync(file)) return { release: () => undefined };
    throw error;
  }
  try {
    takeExclusively(db, file);
  } catch (error) {
    // No stet runs on a file that is not a database (it could not open it either): nothing to hold.
    if ((error as { code?: string }).code === "SQLITE_NOTADB") return { release: () => undefined };
    throw error;
  }
  return { release: () => db.close() };
}

/** Takes SQLite's exclusive lock at once (no busy wait) and keeps it until the connection closes. */
function takeExclusively(db: Database, file: string): void {
  firstWrite(db, file, () => db.pragma("locking_mode = EXCLUSIVE"));
}

/**
 * A connection's first write, after `setup`, without waiting for a lock: a file another process holds
 * fails at once with DatabaseLockedError (and the connection is closed).
 */
function firstWrite(db: Database, file: string, setup: () => void): void {
  try {
    db.pragma("busy_timeout = 0");
    setup();
    db.exec("BEGIN IMMEDIATE; COMMIT;");
  } catch (error) {
    db.close();
    if (/locked|busy/i.test(toError(error).message)) throw new DatabaseLockedError(file, error);
    throw error;
  }
}
