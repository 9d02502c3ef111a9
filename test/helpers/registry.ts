import { join } from "node:path";
import { DeploymentRegistry, type DeploymentRegistryOptions } from "../../server/registry/index.js";
import { SqliteRegistryStore } from "../../sqlite/registry/sqlite-registry-store.js";
import { openDatabase } from "../../sqlite/store/open-database.js";
import { tempDir } from "./temp-dir.js";

/** A deployment registry on a SQLite database of its own. */
export interface SqliteRegistry {
  readonly registry: DeploymentRegistry;
  readonly store: SqliteRegistryStore;
  /** Closes the database; a second call does nothing. */
  close(): void;
}

/**
 * Opens a registry on SQLite, in memory unless `file` names a database file: a test that closes the file
 * and opens it again sees what was persisted.
 */
export async function openSqliteRegistry(file = ":memory:", options: DeploymentRegistryOptions = {}): Promise<SqliteRegistry> {
  const db = openDatabase(file);
  const close = () => {
    if (db.open) db.close();
  };
  try {
    const store = new SqliteRegistryStore(db);
    return { registry: await DeploymentRegistry.open(store, options), store, close };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * A database file in a fresh temporary folder, for tests that reopen the registry: `open()` opens a
 * registry on it (again; several open at once are nodes sharing a store), `remove()` closes every one
 * opened and deletes the folder.
 */
export function sqliteRegistryFile(options: DeploymentRegistryOptions = {}): { open(): Promise<SqliteRegistry>; remove(): void } {
  const dir = tempDir("stet-registry-");
  const opened: SqliteRegistry[] = [];
  return {
    open: async () => {
      const sqlite = await openSqliteRegistry(join(dir.path, "stet.db"), options);
      opened.push(sqlite);
      return sqlite;
    },
    remove: () => {
      for (const sqlite of opened) sqlite.close();
      dir.remove();
    },
  };
}
