import { SchemaTooNewError } from "../partition/storage/schema-errors.js";
import type { PostgresDatabase, Queryable } from "./connect.js";
import { PostgresArgumentError } from "./errors.js";

/** One schema step of a component; `up` runs inside the step's transaction. */
export interface PgMigration {
  readonly version: number;
  readonly up: (client: Queryable) => Promise<unknown>;
}

/**
 * How long a step may run and wait for the lock, in ms: longer than any statement of the engine
 * (a step may rewrite a large table, or wait for another node's step), but not forever if that node hangs.
 */
const STEP_TIMEOUT_MS = 300_000;

/**
 * Brings `component`'s tables to the newest version of `migrations`, each step in its own transaction,
 * as sqlite/store/migrations.ts does for a data folder. Several nodes may start at once against one
 * database: every step holds one transaction-scoped advisory lock and reads the version again under it,
 * so each step runs exactly once and a node that waited finds the work done. A database of a newer
 * schema than this stet knows is refused (SchemaTooNewError) and left unchanged.
 */
export async function applyPgMigrations(db: PostgresDatabase, component: string, migrations: readonly PgMigration[]): Promise<void> {
  const steps = [...migrations].sort((a, b) => a.version - b.version);
  if (steps.some((m, i) => !Number.isSafeInteger(m.version) || m.version <= 0 || m.version === steps[i - 1]?.version)) {
    throw new PostgresArgumentError(`${component} migrations need distinct positive integer versions`);
  }
  const known = steps.at(-1)?.version ?? 0;
  for (;;) {
    const finished = await db.transaction(async (client) => {
      await client.query(`SET LOCAL statement_timeout = ${STEP_TIMEOUT_MS}`);
      // One lock for every component: CREATE TABLE IF NOT EXISTS itself races between sessions.
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended('stet schema migrations', 0))");
      await client.query("CREATE TABLE IF NOT EXISTS schema_versions (component text PRIMARY KEY, version integer NOT NULL)");
      const row = await client.query<{ version: number }>("SELECT version FROM schema_versions WHERE component = $1", [component]);
      const current = row.rows[0]?.version ?? 0;
      if (current > known) throw new SchemaTooNewError(component, current, known, "database");
      const next = steps.find((m) => m.version > current);
      if (next === undefined) return true;
      await next.up(client);
      await client.query(
        "INSERT INTO schema_versions (component, version) VALUES ($1, $2) " +
          "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
        [component, next.version],
      );
      return false;
    });
    if (finished) return;
  }
}

/** The schema version of `component` in `db`; 0 when it has none yet. */
export async function schemaVersion(db: PostgresDatabase, component: string): Promise<number> {
  const exists = await db.query<{ present: boolean }>("SELECT to_regclass('schema_versions') IS NOT NULL AS present");
  if (exists.rows[0]?.present !== true) return 0;
  const row = await db.query<{ version: number }>("SELECT version FROM schema_versions WHERE component = $1", [component]);
  return row.rows[0]?.version ?? 0;
}
