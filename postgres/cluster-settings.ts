import type { PostgresDatabase } from "./connect.js";
import { ClusterPartitionsMismatchError, PostgresArgumentError } from "./errors.js";
import { applyPgMigrations, type PgMigration } from "./migrations.js";

/** What every node of a cluster must agree on, fixed when the cluster's database is created. */
export interface ClusterSettings {
  readonly partitions: number;
  readonly createdAt: Date;
}

export interface ClusterSettingsRequest {
  /** The count this node was started with; undefined adopts the cluster's (or the default for a new one). */
  readonly partitions: number | undefined;
  /** The count of a new cluster when the node names none. */
  readonly defaultPartitions: number;
}

const migrations: readonly PgMigration[] = [
  {
    version: 1,
    // One row at most: the key column can only be true.
    up: (client) =>
      client.query(
        "CREATE TABLE cluster_settings (singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton), " +
          "partitions integer NOT NULL CHECK (partitions > 0), created_at timestamptz NOT NULL DEFAULT now())",
      ),
  },
];

/**
 * The cluster's settings (DESIGN.md, "Persisted topology wins over flags"): the first node to start on
 * a new database records them; every later node reads them and is refused when it was started with a
 * conflicting partition count (ClusterPartitionsMismatchError names both). Nodes starting together agree:
 * the first insert wins and the others read what it wrote.
 */
export async function settleClusterSettings(db: PostgresDatabase, request: ClusterSettingsRequest): Promise<ClusterSettings> {
  for (const [name, value] of [["partitions", request.partitions ?? request.defaultPartitions], ["defaultPartitions", request.defaultPartitions]] as const) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new PostgresArgumentError(`${name} must be a positive integer, got ${String(value)}`);
  }
  await applyPgMigrations(db, "cluster", migrations);
  await db.query("INSERT INTO cluster_settings (partitions) VALUES ($1) ON CONFLICT (singleton) DO NOTHING", [
    request.partitions ?? request.defaultPartitions,
  ]);
  const row = await db.query<{ partitions: number; created_at: Date }>("SELECT partitions, created_at FROM cluster_settings");
  const stored = row.rows[0]!;
  if (request.partitions !== undefined && request.partitions !== stored.partitions) {
    throw new ClusterPartitionsMismatchError(db.target, stored.partitions, request.partitions);
  }
  return { partitions: stored.partitions, createdAt: stored.created_at };
}
