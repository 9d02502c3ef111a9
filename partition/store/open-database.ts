import BetterSqlite3, { type Database } from "better-sqlite3";

export interface OpenDatabaseOptions {
  /** `full` fsyncs every commit (the default, like Restate's log); `normal` trades the last commits for speed. */
  readonly synchronous?: "full" | "normal";
}

/** Opens (or creates) the node's SQLite file in WAL mode. */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  const db = new BetterSqlite3(file);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  return db;
}
