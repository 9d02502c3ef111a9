import type { Database } from "better-sqlite3";
import { SchemaTooNewError } from "../../partition/storage/schema-errors.js";

/** One schema step of a component; `up` runs inside the migration transaction. */
export interface Migration {
  readonly version: number;
  readonly up: (db: Database) => void;
}

/**
 * Brings `component`'s tables to the newest version of `migrations`, each step in its own transaction.
 * Each component (partition store, deployment registry, …) versions its tables independently so that
 * folders can evolve their schemas without a central list.
 */
export function applyMigrations(db: Database, component: string, migrations: readonly Migration[]): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
  const row = db.prepare("SELECT version FROM schema_versions WHERE component = ?").get(component) as
    | { version: number }
    | undefined;
  const current = row?.version ?? 0;
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > known) throw new SchemaTooNewError(component, current, known);
  const pending = [...migrations].filter((m) => m.version > current).sort((a, b) => a.version - b.version);
  const record = db.prepare(
    "INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version",
  );
  for (const m of pending) {
    db.transaction(() => {
      m.up(db);
      record.run(component, m.version);
    })();
  }
}
