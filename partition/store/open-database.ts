import BetterSqlite3, { type Database } from "better-sqlite3";
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

export class DataFolderInUseError extends StetError {
  constructor(file: string, cause: unknown) {
    super(
      "STET_DATA_DIR_IN_USE",
      `the data folder's database ${file} is in use by another running stet; stop it first or use another --data-dir`,
      { status: 500, cause },
    );
  }
}

/**
 * Opens (or creates) the node's SQLite file in WAL mode and takes it for this process alone: with
 * `locking_mode = EXCLUSIVE` the first write keeps SQLite's lock until the connection closes, so a
 * second stet on the same folder fails fast with a clear error instead of writing alongside.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  const db = new BetterSqlite3(file);
  try {
    db.pragma("busy_timeout = 0");
    db.pragma("locking_mode = EXCLUSIVE");
    // Only takes effect on a new database file: lets the expiry pass give freed pages back to the disk.
    db.pragma("auto_vacuum = INCREMENTAL");
    db.pragma("journal_mode = WAL");
    db.exec("BEGIN IMMEDIATE; COMMIT;");
  } catch (error) {
    db.close();
    if (/locked|busy/i.test(toError(error).message)) throw new DataFolderInUseError(file, error);
    throw error;
  }
  db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
  db.pragma("foreign_keys = ON");
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  return db;
}
