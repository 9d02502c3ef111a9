import type { Database, Statement } from "better-sqlite3";
import type { DeploymentId, DiscoveryVersion, ProtocolMode, ServiceManifest, ServiceType } from "../../protocol/index.js";
import {
  parseStoredOverrides,
  type DeploymentRecord,
  type DeploymentWrite,
  type RegistryChange,
  type RegistryContents,
  type RegistryStore,
  type ServiceOverrides,
  type ServiceRevision,
} from "../../server/registry/index.js";
import { applyMigrations } from "../store/migrations.js";
import { REGISTRY_COMPONENT, REGISTRY_MIGRATIONS } from "./registry-schema.js";

interface DeploymentRow {
  id: string;
  uri: string;
  protocol_mode: string;
  http_version: number;
  min_protocol_version: number;
  max_protocol_version: number;
  manifest_version: number;
  additional_headers: string;
  metadata: string;
  sdk_version: string | null;
  created_at: number;
}

interface ServiceRow {
  deployment_id: string;
  name: string;
  revision: number;
  ty: string;
  definition: string;
}

/** The deployment registry's tables in the node's SQLite database; migrates them when built. */
export class SqliteRegistryStore implements RegistryStore {
  readonly #db: Database;
  readonly #sql: {
    upsertDeployment: Statement;
    deleteDeployment: Statement;
    deleteServices: Statement;
    insertService: Statement;
    allDeployments: Statement;
    allServices: Statement;
    allOverrides: Statement;
    upsertOverrides: Statement;
    deleteOrphanOverrides: Statement;
    version: Statement;
    bumpVersion: Statement;
  };

  constructor(db: Database) {
    this.#db = db;
    applyMigrations(db, REGISTRY_COMPONENT, REGISTRY_MIGRATIONS);
    this.#sql = {
      // ON CONFLICT updates the row in place: INSERT OR REPLACE would delete it, and its services with it.
      upsertDeployment: db.prepare(
        `INSERT INTO registry_deployments (id, uri, protocol_mode, http_version, min_protocol_version, max_protocol_version,
           manifest_version, additional_headers, metadata, sdk_version, created_at)
         VALUES (@id, @uri, @protocol_mode, @http_version, @min_protocol_version, @max_protocol_version,
           @manifest_version, @additional_headers, @metadata, @sdk_version, @created_at)
         ON CONFLICT (id) DO UPDATE SET uri = excluded.uri, protocol_mode = excluded.protocol_mode,
           http_version = excluded.http_version, min_protocol_version = excluded.min_protocol_version,
           max_protocol_version = excluded.max_protocol_version, manifest_version = excluded.manifest_version,
           additional_headers = excluded.additional_headers, metadata = excluded.metadata,
           sdk_version = excluded.sdk_version, created_at = excluded.created_at`,
      ),
      deleteDeployment: db.prepare("DELETE FROM registry_deployments WHERE id = ?"),
      deleteServices: db.prepare("DELETE FROM registry_services WHERE deployment_id = ?"),
      insertService: db.prepare(
        `INSERT INTO registry_services (deployment_id, name, position, revision, ty, definition)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      allDeployments: db.prepare("SELECT * FROM registry_deployments ORDER BY created_at, id"),
      allServices: db.prepare("SELECT deployment_id, name, revision, ty, definition FROM registry_services ORDER BY deployment_id, position"),
      allOverrides: db.prepare("SELECT name, overrides FROM registry_service_overrides"),
      upsertOverrides: db.prepare(
        "INSERT INTO registry_service_overrides (name, overrides) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET overrides = excluded.overrides",
      ),
      deleteOrphanOverrides: db.prepare("DELETE FROM registry_service_overrides WHERE name NOT IN (SELECT name FROM registry_services)"),
      version: db.prepare("SELECT version FROM registry_version WHERE id = 1").pluck(),
      bumpVersion: db.prepare("UPDATE registry_version SET version = version + 1 WHERE id = 1 AND (@ifVersion IS NULL OR version = @ifVersion)"),
    };
  }

  // Async for the interface's sake only: better-sqlite3 runs each statement to the end before it returns,
  // so every promise is settled when handed out, and a failure is a rejection, never a throw.

  /** In one read transaction: a write of another connection (another node on the same file) is seen whole or not at all. */
  async read(): Promise<RegistryContents> {
    return this.#db.transaction((): RegistryContents => {
      const version = this.#sql.version.get() as number;
      const overrides = new Map<string, ServiceOverrides>();
      for (const row of this.#sql.allOverrides.all() as { name: string; overrides: string }[]) {
        overrides.set(row.name, parseStoredOverrides(row.overrides));
      }
      const servicesByDeployment = new Map<string, ServiceRevision[]>();
      for (const row of this.#sql.allServices.all() as ServiceRow[]) {
        const list = servicesByDeployment.get(row.deployment_id) ?? [];
        list.push(serviceFromRow(row));
        servicesByDeployment.set(row.deployment_id, list);
      }
      const deployments = (this.#sql.allDeployments.all() as DeploymentRow[]).map((row) => deploymentFromRow(row, servicesByDeployment.get(row.id) ?? []));
      return { deployments, overrides, version };
    })();
  }

  async write(change: RegistryChange): Promise<boolean> {
    return this.#db.transaction((): boolean => {
      // First, so that a stale change stores nothing.
      if (this.#sql.bumpVersion.run({ ifVersion: change.ifVersion ?? null }).changes === 0) return false;
      for (const id of change.deleteDeployments ?? []) {
        // Explicitly, not through the foreign key's cascade: that holds only where `foreign_keys` is on.
        this.#sql.deleteServices.run(id);
        this.#sql.deleteDeployment.run(id);
      }
      for (const deployment of change.putDeployments ?? []) {
        this.#sql.upsertDeployment.run(deploymentToRow(deployment));
        if (deployment.services === undefined) continue;
        this.#sql.deleteServices.run(deployment.id);
        deployment.services.forEach((s, position) => {
          this.#sql.insertService.run(deployment.id, s.name, position, s.revision, s.ty, JSON.stringify(s.definition));
        });
      }
      for (const [name, overrides] of change.setOverrides ?? []) this.#sql.upsertOverrides.run(name, JSON.stringify(overrides));
      if (change.dropOrphanOverrides === true) this.#sql.deleteOrphanOverrides.run();
      return true;
    })();
  }

  async version(): Promise<number> {
    return this.#sql.version.get() as number;
  }
}

function deploymentToRow(d: DeploymentWrite): DeploymentRow {
  return {
    id: d.id,
    uri: d.uri,
    protocol_mode: d.protocolMode,
    http_version: d.httpVersion,
    min_protocol_version: d.minProtocolVersion,
    max_protocol_version: d.maxProtocolVersion,
    manifest_version: d.manifestVersion,
    additional_headers: JSON.stringify(d.additionalHeaders),
    metadata: JSON.stringify(d.metadata),
    sdk_version: d.sdkVersion ?? null,
    created_at: d.createdAt,
  };
}

function deploymentFromRow(row: DeploymentRow, services: ServiceRevision[]): DeploymentRecord {
  return {
    id: row.id as DeploymentId,
    uri: row.uri,
    protocolMode: row.protocol_mode as ProtocolMode,
    httpVersion: row.http_version === 1 ? 1 : 2,
    minProtocolVersion: row.min_protocol_version,
    maxProtocolVersion: row.max_protocol_version,
    manifestVersion: row.manifest_version as DiscoveryVersion,
    additionalHeaders: JSON.parse(row.additional_headers) as Record<string, string>,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    ...(row.sdk_version === null ? {} : { sdkVersion: row.sdk_version }),
    createdAt: row.created_at,
    services,
  };
}

function serviceFromRow(row: ServiceRow): ServiceRevision {
  return {
    name: row.name,
    ty: row.ty as ServiceType,
    revision: row.revision,
    deploymentId: row.deployment_id as DeploymentId,
    definition: JSON.parse(row.definition) as ServiceManifest,
  };
}
