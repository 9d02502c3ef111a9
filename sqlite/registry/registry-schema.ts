import type { Migration } from "../store/migrations.js";

/** Component name of the registry's tables in `schema_versions`. */
export const REGISTRY_COMPONENT = "registry";

/**
 * The registry's tables. A deployment row per registered endpoint; a service row per service a
 * deployment provides, at the revision it was registered with. The live revision of a service is the
 * highest among the remaining deployments, so deleting the newest falls back to the previous one
 * (what Restate 1.7 does). Definitions are stored as the manifest JSON they came in.
 */
export const REGISTRY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE registry_deployments (
          id TEXT PRIMARY KEY,
          uri TEXT NOT NULL UNIQUE,
          protocol_mode TEXT NOT NULL,
          http_version INTEGER NOT NULL,
          min_protocol_version INTEGER NOT NULL,
          max_protocol_version INTEGER NOT NULL,
          manifest_version INTEGER NOT NULL,
          additional_headers TEXT NOT NULL,
          metadata TEXT NOT NULL,
          sdk_version TEXT,
          created_at INTEGER NOT NULL
        );
        CREATE TABLE registry_services (
          deployment_id TEXT NOT NULL REFERENCES registry_deployments (id) ON DELETE CASCADE,
          name TEXT NOT NULL,
          position INTEGER NOT NULL,
          revision INTEGER NOT NULL,
          ty TEXT NOT NULL,
          definition TEXT NOT NULL,
          PRIMARY KEY (deployment_id, name)
        );
        CREATE INDEX registry_services_by_name ON registry_services (name, revision);
      `);
    },
  },
  {
    // Settings changed with `PATCH /services/{name}`, by service name (not revision): they outlive
    // re-registrations. JSON of `ServiceOverrides`.
    version: 2,
    up: (db) => {
      db.exec(`
        CREATE TABLE registry_service_overrides (
          name TEXT PRIMARY KEY,
          overrides TEXT NOT NULL
        );
      `);
    },
  },
  {
    // Bumped by every change stored, so that a node sharing the store (cluster mode) can tell with one row
    // whether its snapshot is stale. A single row, pinned by the CHECK.
    version: 3,
    up: (db) => {
      db.exec(`
        CREATE TABLE registry_version (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          version INTEGER NOT NULL
        );
        INSERT INTO registry_version (id, version) VALUES (1, 0);
      `);
    },
  },
];
