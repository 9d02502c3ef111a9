// `--store postgres`: stet-pg, the same stet build started with `--store <url>`, beside stet (SQLite) and
// restate-server. The run starts one throwaway PostgreSQL (scripts/lib/postgres-server.ts, durability as
// shipped: fsync and synchronous_commit on) and gives each stet-pg round a fresh database of its own.
import pg from "pg";
import { clusterPssMb, startPostgres, type PostgresServer } from "../lib/postgres-server.js";
import { STET_PG, STET_PG3, type Contender } from "./ab-build.js";
import type { StoreBackend } from "./servers.js";

/** The servers `--servers` may name, and the default set, with and without `--store postgres`. */
const KNOWN = ["stet", STET_PG, STET_PG3, "restate"];

/** stet-pg3's nodes: three, the smallest cluster in which a node's death leaves more than one survivor. */
export const PG3_NODES = 3;

/**
 * The contenders of a run without --ab from `--servers` and `--store`: stet, restate by default; with
 * `--store postgres`, stet, stet-pg, stet-pg3, restate. Throws on an unknown server or store, and on
 * stet-pg or stet-pg3 without `--store postgres`.
 */
export function contenders(servers: string | undefined, store: string | undefined): Contender[] {
  if (store !== undefined && store !== "postgres") throw new Error(`--store: unknown store '${store}' (known: postgres)`);
  const names = (servers ?? (store === "postgres" ? KNOWN.join(",") : "stet,restate")).split(",").map((s) => s.trim());
  return names.map((name) => {
    if (!KNOWN.includes(name)) throw new Error(`--servers: unknown server '${name}' (known: ${KNOWN.join(", ")})`);
    if (name === STET_PG || name === STET_PG3) {
      if (store !== "postgres") throw new Error(`--servers ${name} needs --store postgres`);
      return { name, kind: "stet", store: "postgres", ...(name === STET_PG3 ? { nodes: PG3_NODES } : {}) };
    }
    return { name, kind: name === "stet" ? "stet" : "restate" };
  });
}

/** Why an item does not run for stet-pg and stet-pg3 yet (undefined: it runs). */
export function notOnPostgres(item: string): string | undefined {
  switch (item) {
    case "STARTUP":
      return "skipped for stet-pg and stet-pg3: each start would need a fresh database of its own (not yet); R reports their startup every round";
    case "SCALE":
    case "RETENTION":
      return "skipped for stet-pg and stet-pg3: it measures the data folder on disk and restarts on it, and a PostgreSQL node keeps its state in the database (not adapted yet)";
    case "QUERY":
      return "skipped for stet-pg and stet-pg3: the scan item is not adapted to PostgreSQL yet (POST /query answers on PostgreSQL; its own tests compare it with SQLite)";
    default:
      return undefined;
  }
}

/** The run's PostgreSQL and a fresh database per stet-pg round. */
export class BenchPostgres {
  private constructor(readonly server: PostgresServer) {}

  static async start(): Promise<BenchPostgres> {
    return new BenchPostgres(await startPostgres({ prefix: "stet-bench-pg-" }));
  }

  /** Creates the empty database `name` and returns the backend a stet-pg server is started with. */
  async database(name: string): Promise<StoreBackend> {
    await this.sql(`CREATE DATABASE "${name}"`);
    return { url: this.server.url(name), cpuSeconds: () => this.server.cpuSeconds() };
  }

  /** Drops the database of a round (its node has stopped; FORCE ends any connection left). */
  async drop(name: string): Promise<void> {
    await this.sql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }

  /** The cluster's proportional set size (MB): what PostgreSQL holds in memory, shared pages once. */
  pssMb(): number {
    const pid = this.server.postmasterPid;
    return pid === undefined ? NaN : clusterPssMb(pid);
  }

  /** The settings that decide durability, as the server runs them (for the report). */
  async durability(): Promise<string> {
    const client = new pg.Client(this.server.connection);
    await client.connect();
    try {
      const r = await client.query<{ name: string; setting: string }>(
        "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method') ORDER BY name",
      );
      const version = (await client.query<{ server_version: string }>("SHOW server_version")).rows[0]?.server_version ?? "?";
      return `PostgreSQL ${version}, ${r.rows.map((x) => `${x.name}=${x.setting}`).join(", ")}`;
    } finally {
      await client.end();
    }
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async sql(text: string): Promise<void> {
    const client = new pg.Client(this.server.connection);
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }
}
