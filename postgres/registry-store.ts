import type { DeploymentId } from "../protocol/index.js";
import {
  parseStoredOverrides,
  type DeploymentRecord,
  type RegistryChange,
  type RegistryContents,
  type RegistryStore,
  type ServiceOverrides,
  type ServiceRevision,
} from "../server/registry/index.js";
import type { PostgresDatabase, Queryable } from "./connect.js";
import { applyPgMigrations, type PgMigration } from "./migrations.js";

/**
 * The registry's tables, named as in SQLite (sqlite/registry/registry-schema.ts) and holding the same
 * rows. JSON columns are `json`, not `jsonb`: `json` keeps the text as written (key order included), so a
 * definition reads back as the manifest it came in, and PostgreSQL still refuses text that is not JSON.
 */
const migrations: readonly PgMigration[] = [
  {
    version: 1,
    up: (client) =>
      client.query(`
        CREATE TABLE registry_deployments (
          id text PRIMARY KEY,
          uri text NOT NULL UNIQUE,
          protocol_mode text NOT NULL,
          http_version integer NOT NULL,
          min_protocol_version integer NOT NULL,
          max_protocol_version integer NOT NULL,
          manifest_version integer NOT NULL,
          additional_headers json NOT NULL,
          metadata json NOT NULL,
          sdk_version text,
          created_at bigint NOT NULL
        );
        CREATE TABLE registry_services (
          deployment_id text NOT NULL REFERENCES registry_deployments (id) ON DELETE CASCADE,
          name text NOT NULL,
          position integer NOT NULL,
          revision integer NOT NULL,
          ty text NOT NULL,
          definition json NOT NULL,
          PRIMARY KEY (deployment_id, name)
        );
        CREATE INDEX registry_services_by_name ON registry_services (name, revision);
        -- Settings changed with PATCH /services/{name}, by service name: they outlive re-registrations.
        CREATE TABLE registry_service_overrides (
          name text PRIMARY KEY,
          overrides json NOT NULL
        );
        -- One row, bumped by every change: the row every write locks first (see write()).
        CREATE TABLE registry_version (
          id integer PRIMARY KEY CHECK (id = 1),
          version bigint NOT NULL
        );
        INSERT INTO registry_version (id, version) VALUES (1, 0);
      `),
  },
];

// Read with the record's own field names, as the registry wants them. created_at and version are
// bigint, which pg hands out as strings; float8 comes back as a number (exact below 2^53).
const DEPLOYMENT_COLUMNS = `id, uri, protocol_mode AS "protocolMode", http_version AS "httpVersion",
  min_protocol_version AS "minProtocolVersion", max_protocol_version AS "maxProtocolVersion",
  manifest_version AS "manifestVersion", additional_headers AS "additionalHeaders", metadata,
  sdk_version AS "sdkVersion", created_at::float8 AS "createdAt"`;
const SERVICE_COLUMNS = `deployment_id AS "deploymentId", name, revision, ty, definition`;
const VERSION = "SELECT version::float8 AS version FROM registry_version";

type DeploymentRow = Omit<DeploymentRecord, "services" | "sdkVersion"> & { sdkVersion: string | null };

/**
 * The deployment registry in the cluster's PostgreSQL database, shared by every node (issue 15: a
 * deployment registered through one node is used by all). Writes are serialized by the version row,
 * so a change decided on a version that another node has moved past stores nothing.
 */
export class PgRegistryStore implements RegistryStore {
  readonly #db: PostgresDatabase;

  private constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /** Brings the registry's tables up to date (safe when several nodes start at once) and opens the store. */
  static async open(db: PostgresDatabase): Promise<PgRegistryStore> {
    await applyPgMigrations(db, "registry", migrations);
    return new PgRegistryStore(db);
  }

  /**
   * One REPEATABLE READ snapshot for all four tables: under READ COMMITTED each statement would see the
   * commits made before it, and a write committed between two of them would be seen half.
   */
  read(): Promise<RegistryContents> {
    return this.#db.transaction(async (client) => {
      await client.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      const version = (await client.query<{ version: number }>(VERSION)).rows[0]!.version;
      const overrides = new Map<string, ServiceOverrides>();
      // As text, so that a row of the wrong shape (written by another stet version) reads as no overrides.
      const stored = await client.query<{ name: string; overrides: string }>("SELECT name, overrides::text AS overrides FROM registry_service_overrides");
      for (const row of stored.rows) overrides.set(row.name, parseStoredOverrides(row.overrides));
      const services = await client.query<ServiceRevision>(`SELECT ${SERVICE_COLUMNS} FROM registry_services ORDER BY deployment_id, position`);
      const byDeployment = new Map<string, ServiceRevision[]>();
      for (const s of services.rows) {
        const list = byDeployment.get(s.deploymentId);
        if (list === undefined) byDeployment.set(s.deploymentId, [s]);
        else list.push(s);
      }
      // COLLATE "C": ids of one instant ordered by their bytes, as SQLite orders them, whatever
      // collation the operator created the database with.
      const rows = await client.query<DeploymentRow>(`SELECT ${DEPLOYMENT_COLUMNS} FROM registry_deployments ORDER BY created_at, id COLLATE "C"`);
      const deployments = rows.rows.map(({ sdkVersion, ...row }): DeploymentRecord => ({
        ...row,
        ...(sdkVersion === null ? {} : { sdkVersion }),
        services: byDeployment.get(row.id) ?? [],
      }));
      return { deployments, overrides, version };
    });
  }

  /**
   * The version bump comes first and takes the version row's lock until the commit: a second node's write
   * waits for it, then PostgreSQL checks its `WHERE version = $ifVersion` again on the row the first one
   * committed, finds it moved and updates nothing. So of two nodes deciding on one version, one stores.
   * Every later statement runs after every earlier write has committed, and sees it (READ COMMITTED).
   */
  write(change: RegistryChange): Promise<boolean> {
    return this.#db.transaction(async (client) => {
      const bumped = await client.query("UPDATE registry_version SET version = version + 1 WHERE $1::bigint IS NULL OR version = $1", [
        change.ifVersion ?? null,
      ]);
      if (bumped.rowCount === 0) return false;
      // Their services go with them: the foreign key cascades, and PostgreSQL always enforces it.
      const deleted = change.deleteDeployments ?? [];
      if (deleted.length > 0) await client.query("DELETE FROM registry_deployments WHERE id = ANY ($1::text[])", [deleted]);
      for (const d of change.putDeployments ?? []) {
        // ON CONFLICT updates the row in place; a delete and insert would take its services along.
        await client.query(
          `INSERT INTO registry_deployments (id, uri, protocol_mode, http_version, min_protocol_version, max_protocol_version,
             manifest_version, additional_headers, metadata, sdk_version, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (id) DO UPDATE SET uri = excluded.uri, protocol_mode = excluded.protocol_mode,
             http_version = excluded.http_version, min_protocol_version = excluded.min_protocol_version,
             max_protocol_version = excluded.max_protocol_version, manifest_version = excluded.manifest_version,
             additional_headers = excluded.additional_headers, metadata = excluded.metadata,
             sdk_version = excluded.sdk_version, created_at = excluded.created_at`,
          [
            d.id,
            d.uri,
            d.protocolMode,
            d.httpVersion,
            d.minProtocolVersion,
            d.maxProtocolVersion,
            d.manifestVersion,
            JSON.stringify(d.additionalHeaders),
            JSON.stringify(d.metadata),
            d.sdkVersion ?? null,
            d.createdAt,
          ],
        );
        if (d.services !== undefined) await replaceServices(client, d.id, d.services);
      }
      const overrides = [...(change.setOverrides ?? [])];
      if (overrides.length > 0) {
        await client.query(
          `INSERT INTO registry_service_overrides (name, overrides) SELECT * FROM unnest($1::text[], $2::json[])
           ON CONFLICT (name) DO UPDATE SET overrides = excluded.overrides`,
          [overrides.map(([name]) => name), overrides.map(([, o]) => JSON.stringify(o))],
        );
      }
      if (change.dropOrphanOverrides === true) {
        await client.query("DELETE FROM registry_service_overrides WHERE name NOT IN (SELECT name FROM registry_services)");
      }
      return true;
    });
  }

  async version(): Promise<number> {
    return (await this.#db.query<{ version: number }>(VERSION)).rows[0]!.version;
  }
}

/** The deployment's services become `services`, in their order (positions 0, 1, …): one statement. */
async function replaceServices(client: Queryable, deploymentId: DeploymentId, services: readonly ServiceRevision[]): Promise<void> {
  await client.query("DELETE FROM registry_services WHERE deployment_id = $1", [deploymentId]);
  if (services.length === 0) return;
  await client.query(
    `INSERT INTO registry_services (deployment_id, name, position, revision, ty, definition)
     SELECT $1, s.name, s.ord - 1, s.revision, s.ty, s.definition
     FROM unnest($2::text[], $3::integer[], $4::text[], $5::json[]) WITH ORDINALITY AS s (name, revision, ty, definition, ord)`,
    [
      deploymentId,
      services.map((s) => s.name),
      services.map((s) => s.revision),
      services.map((s) => s.ty),
      services.map((s) => JSON.stringify(s.definition)),
    ],
  );
}
