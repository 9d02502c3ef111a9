import { LeaseArgumentError, LeaseLostError } from "../partition/lease-errors.js";
import type { Lease, LeaseSnapshot, LeaseStore } from "../partition/storage/lease-store.js";
import type { PostgresDatabase, Queryable } from "./connect.js";
import { applyPgMigrations, type PgMigration } from "./migrations.js";

/** SQLSTATE that stet_fence raises; class SF is not used by PostgreSQL. */
const FENCE_SQLSTATE = "SF001";

const migrations: readonly PgMigration[] = [
  {
    version: 1,
    up: (client) =>
      client.query(`
        CREATE TABLE leases (
          partition_id integer PRIMARY KEY CHECK (partition_id >= 0),
          holder text NOT NULL,
          epoch bigint NOT NULL CHECK (epoch > 0),
          expires_at timestamptz NOT NULL
        );

        -- Why the lease of partition $1 at epoch $2 is not current, on PostgreSQL's clock; NULL when it is.
        -- Volatile, so that it sees what concurrent transactions committed up to the moment it runs.
        CREATE FUNCTION stet_lease_loss(integer, bigint) RETURNS text LANGUAGE sql VOLATILE AS $fn$
          SELECT CASE
            WHEN l.partition_id IS NULL THEN 'no lease is stored'
            WHEN l.epoch <> $2 THEN format('now held by %s at epoch %s', to_json(l.holder), l.epoch)
            WHEN l.expires_at = 'epoch' THEN 'it was released'
            WHEN l.expires_at <= clock_timestamp() THEN format('it expired at %s (now %s)', l.expires_at, clock_timestamp())
          END
          FROM (SELECT 1) AS one LEFT JOIN leases l ON l.partition_id = $1
        $fn$;

        -- The fence of a leader's transaction (docs/architecture.md, "The storage interface this asks
        -- for"): locks each partition's lease row FOR SHARE until the transaction ends and raises unless
        -- every epoch is current. A takeover's UPDATE of the row waits for that lock, so once it commits,
        -- every later transaction of the old leader fails here and writes nothing.
        CREATE FUNCTION stet_fence(partitions integer[], epochs bigint[]) RETURNS void LANGUAGE plpgsql AS $fn$
        DECLARE
          held integer;
          stale record;
        BEGIN
          -- In partition order, the order acquire takes rows in, so that fences and takeovers never deadlock.
          PERFORM 1 FROM leases WHERE partition_id = ANY (partitions) ORDER BY partition_id FOR SHARE;
          SELECT count(*) INTO held FROM leases l JOIN unnest(partitions, epochs) AS u(p, e) ON l.partition_id = u.p
            WHERE l.epoch = u.e AND l.expires_at > clock_timestamp();
          IF held = cardinality(partitions) THEN
            RETURN;
          END IF;
          SELECT u.p, u.e, r.reason INTO stale
            FROM unnest(partitions, epochs) AS u(p, e), LATERAL (SELECT stet_lease_loss(u.p, u.e) AS reason) r
            WHERE r.reason IS NOT NULL ORDER BY u.p LIMIT 1;
          IF NOT FOUND THEN
            -- Every lease is current after all (say, a partition named twice): refuse, naming the first.
            SELECT partitions[1] AS p, epochs[1] AS e, 'the fence names a partition twice' AS reason INTO stale;
          END IF;
          RAISE EXCEPTION 'lease on partition % at epoch % is lost: %', stale.p, stale.e, stale.reason
            USING ERRCODE = '${FENCE_SQLSTATE}',
                  DETAIL = json_build_object('partition', stale.p, 'epoch', stale.e, 'reason', stale.reason)::text;
        END
        $fn$;
      `),
  },
];

/** A stored expiry as milliseconds since the Unix epoch, on PostgreSQL's clock. */
const EXPIRES_MS = "floor(extract(epoch FROM expires_at) * 1000)::float8";
const LEASE_COLUMNS = `partition_id AS partition, holder, epoch::float8 AS epoch, ${EXPIRES_MS} AS "expiresAt"`;
const EXPIRY_AFTER_TTL = "clock_timestamp() + $3::float8 * interval '1 millisecond'";

/**
 * Partition leases in the cluster's PostgreSQL database, shared by every node (DESIGN.md, "Partitions
 * and leases"). Expiry is judged on PostgreSQL's clock, never a node's, so nodes' clocks may disagree.
 * Epochs only rise: every acquisition adds one, a release keeps the epoch, so a write stamped with an
 * epoch can be fenced by it (`fence`).
 */
export class PgLeaseStore implements LeaseStore {
  readonly #db: PostgresDatabase;

  private constructor(db: PostgresDatabase) {
    this.#db = db;
  }

  /** Brings the lease tables up to date (safe when several nodes start at once) and opens the store. */
  static async open(db: PostgresDatabase): Promise<PgLeaseStore> {
    await applyPgMigrations(db, "leases", migrations);
    return new PgLeaseStore(db);
  }

  async acquire(partitions: readonly number[], holder: string, ttlMs: number): Promise<Lease[]> {
    const wanted = checkPartitions(partitions);
    checkHolder(holder);
    checkTtl(ttlMs);
    if (wanted.length === 0) return [];
    // One statement: a row another node holds unexpired is left alone (its WHERE fails after the row
    // lock, on the newest version), so of two nodes racing for a partition exactly one gets it. Rows go
    // in partition order, as stet_fence locks them.
    const result = await this.#db.query<Lease>(
      `INSERT INTO leases AS l (partition_id, holder, epoch, expires_at)
         SELECT p, $2, 1, ${EXPIRY_AFTER_TTL} FROM unnest($1::integer[]) AS p ORDER BY p
       ON CONFLICT (partition_id) DO UPDATE
         SET holder = excluded.holder, epoch = l.epoch + 1, expires_at = excluded.expires_at
         WHERE l.holder = excluded.holder OR l.expires_at <= clock_timestamp()
       RETURNING ${LEASE_COLUMNS}`,
      [wanted, holder, ttlMs],
    );
    return result.rows.sort((a, b) => a.partition - b.partition);
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease> {
    checkTtl(ttlMs);
    const result = await this.#db.query<Lease>(
      `UPDATE leases SET expires_at = ${EXPIRY_AFTER_TTL}
       WHERE partition_id = $1 AND holder = $2 AND epoch = $4 AND expires_at > clock_timestamp()
       RETURNING ${LEASE_COLUMNS}`,
      [lease.partition, lease.holder, ttlMs, lease.epoch],
    );
    const renewed = result.rows[0];
    if (renewed !== undefined) return renewed;
    // Only on the way out: why, and who holds it now, as the store sees it after the failed renewal.
    const why = await this.#db.query<{ reason: string | null }>("SELECT stet_lease_loss($1, $2) AS reason", [lease.partition, lease.epoch]);
    throw new LeaseLostError(lease.partition, lease.epoch, why.rows[0]?.reason ?? "it is not current");
  }

  async release(lease: Lease): Promise<void> {
    // 'epoch' is 1970-01-01: in the past, and `expiresAt` 0 as the seam documents for a released lease.
    await this.#db.query(
      "UPDATE leases SET expires_at = 'epoch' WHERE partition_id = $1 AND holder = $2 AND epoch = $3 AND expires_at <> 'epoch'",
      [lease.partition, lease.holder, lease.epoch],
    );
  }

  async get(partition: number): Promise<Lease | undefined> {
    checkPartitions([partition]);
    const result = await this.#db.query<Lease>(`SELECT ${LEASE_COLUMNS} FROM leases WHERE partition_id = $1`, [partition]);
    return result.rows[0];
  }

  async snapshot(): Promise<LeaseSnapshot> {
    // An aggregate answers one row even without leases; `now` is read in the same statement.
    const result = await this.#db.query<{ now: number; leases: Lease[] }>(
      `SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now,
              coalesce(json_agg(json_build_object('partition', partition_id, 'holder', holder, 'epoch', epoch,
                'expiresAt', floor(extract(epoch FROM expires_at) * 1000)) ORDER BY partition_id), '[]') AS leases
         FROM leases`,
    );
    const row = result.rows[0]!;
    return { now: row.now, leases: row.leases };
  }

}

/** The leadership a write is made under: a partition and the epoch its leader holds it at. */
export type FencedLease = Pick<Lease, "partition" | "epoch">;

/**
 * Inside a transaction, before its writes: locks the lease rows of `leases` until the transaction ends
 * and throws LeaseLostError (the transaction must roll back) unless each epoch is still current and
 * unexpired. See stet_fence above.
 */
export async function fence(client: Queryable, leases: readonly FencedLease[]): Promise<void> {
  const partitions = checkPartitions(leases.map((l) => l.partition));
  if (partitions.length !== leases.length) throw new LeaseArgumentError("a fence names each partition once");
  try {
    await client.query("SELECT stet_fence($1::integer[], $2::bigint[])", [leases.map((l) => l.partition), leases.map((l) => l.epoch)]);
  } catch (error) {
    throw fenceError(error) ?? error;
  }
}

/** One transaction of a leader: `fence(leases)` first, then `work`; all of it or, when fenced off, nothing. */
export function fencedTransaction<T>(db: PostgresDatabase, leases: readonly FencedLease[], work: (client: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (client) => {
    await fence(client, leases);
    return work(client);
  });
}

/** The LeaseLostError a statement that ran stet_fence failed with; undefined for any other failure. */
export function fenceError(error: unknown): LeaseLostError | undefined {
  const { code, detail } = error as { code?: unknown; detail?: unknown };
  if (code !== FENCE_SQLSTATE || typeof detail !== "string") return undefined;
  const lost = JSON.parse(detail) as { partition: number; epoch: number; reason: string };
  return new LeaseLostError(lost.partition, lost.epoch, lost.reason, { cause: error });
}

/** Distinct partitions in ascending order; each a PostgreSQL integer. */
function checkPartitions(partitions: readonly number[]): number[] {
  for (const p of partitions) {
    if (!Number.isSafeInteger(p) || p < 0 || p > 2 ** 31 - 1) {
      throw new LeaseArgumentError(`partition must be a non-negative 32-bit integer, got ${String(p)}`);
    }
  }
  return [...new Set(partitions)].sort((a, b) => a - b);
}

function checkHolder(holder: string): void {
  if (typeof holder !== "string" || holder === "") throw new LeaseArgumentError("lease holder must be a non-empty string");
}

function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new LeaseArgumentError(`lease ttl must be a positive integer of milliseconds, got ${String(ttlMs)}`);
  }
}
