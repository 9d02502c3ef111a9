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
 * Opens (or creates) the node's SQLite file in WAL mode and takes it for this process alone: with
 * `locking_mode = EXCLUSIVE` the first write keeps SQLite's lock until the connection closes, so a
 * second stet on the same folder fails fast with a clear error instead of writing alongside.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  const db = new BetterSqlite3(file);
  takeExclusively(db, file, () => {
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
 * Takes an existing database file for this process alone, through the same lock a running stet holds
 * (released by `release()`, or by the process's end, whatever way it ends): while held, no stet can open
 * the file, and it fails with DatabaseLockedError when a stet has it open. A missing file needs no lock.
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

/** Takes SQLite's exclusive lock at once (no busy wait); `setup` runs in between, before the first write. */
function takeExclusively(db: Database, file: string, setup?: () => void): void {
  try {
    db.pragma("busy_timeout = 0");
    db.pragma("locking_mode = EXCLUSIVE");
    setup?.();
    db.exec("BEGIN IMMEDIATE; COMMIT;");
  } catch (error) {
    db.close();
    if (/locked|busy/i.test(toError(error).message)) throw new DatabaseLockedError(file, error);
    throw error;
  }
}
