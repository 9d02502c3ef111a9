import type { PostgresDatabase } from "./connect.js";
import { applyPgMigrations, type PgMigration } from "./migrations.js";

const migrations: readonly PgMigration[] = [
  {
    version: 1,
    up: (client) =>
      client.query(`
        CREATE TABLE nodes (
          node_id text PRIMARY KEY,
          ingress_url text NOT NULL,
          admin_url text NOT NULL,
          heartbeat_at timestamptz NOT NULL
        );
      `),
  },
];

/** Where a node of the cluster answers, as it announced itself. `nodeId` is its name in the lease table. */
export interface NodeAddress {
  readonly nodeId: string;
  readonly ingressUrl: string;
  readonly adminUrl: string;
}

/**
 * The cluster's live nodes in its PostgreSQL database: each node announces where its ingress and admin
 * answer, so that any node can pass a request on to the leader of its partition. Heartbeats are on
 * PostgreSQL's clock, as lease expiries are, so nodes' clocks may disagree.
 */
export class PgNodeDirectory {
  readonly #db: PostgresDatabase;

  private constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  static async open(db: PostgresDatabase): Promise<PgNodeDirectory> {
    await applyPgMigrations(db, "nodes", migrations);
    return new PgNodeDirectory(db);
  }

  /** Records (or refreshes) `node` with a heartbeat of now. */
  async announce(node: NodeAddress): Promise<void> {
    await this.#db.query(
      `INSERT INTO nodes (node_id, ingress_url, admin_url, heartbeat_at) VALUES ($1, $2, $3, clock_timestamp())
       ON CONFLICT (node_id) DO UPDATE
         SET ingress_url = excluded.ingress_url, admin_url = excluded.admin_url, heartbeat_at = excluded.heartbeat_at`,
      [node.nodeId, node.ingressUrl, node.adminUrl],
    );
  }

  /** Forgets `nodeId` (a graceful stop): nobody forwards to it any more. */
  async withdraw(nodeId: string): Promise<void> {
    await this.#db.query("DELETE FROM nodes WHERE node_id = $1", [nodeId]);
  }

  /** The ids of the nodes that announced themselves within `liveWithinMs`, on PostgreSQL's clock. */
  async liveNodes(liveWithinMs: number): Promise<string[]> {
    const result = await this.#db.query<{ nodeId: string }>(
      `SELECT node_id AS "nodeId" FROM nodes WHERE heartbeat_at > clock_timestamp() - $1::float8 * interval '1 millisecond' ORDER BY 1`,
      [liveWithinMs],
    );
    return result.rows.map((r) => r.nodeId);
  }

  /**
   * The leader of each partition that has one: the holder of an unexpired lease whose node announced
   * itself within `liveWithinMs`. Partitions without a live leader are absent.
   */
  async leaders(liveWithinMs: number): Promise<Map<number, NodeAddress>> {
    const result = await this.#db.query<{ partition: number; nodeId: string; ingressUrl: string; adminUrl: string }>(
      `SELECT l.partition_id AS partition, n.node_id AS "nodeId", n.ingress_url AS "ingressUrl", n.admin_url AS "adminUrl"
         FROM leases l JOIN nodes n ON n.node_id = l.holder
        WHERE l.expires_at > clock_timestamp()
          AND n.heartbeat_at > clock_timestamp() - $1::float8 * interval '1 millisecond'`,
      [liveWithinMs],
    );
    return new Map(result.rows.map((r) => [r.partition, { nodeId: r.nodeId, ingressUrl: r.ingressUrl, adminUrl: r.adminUrl }]));
  }
}
