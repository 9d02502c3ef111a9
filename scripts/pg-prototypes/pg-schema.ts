// The PostgreSQL tables of both options. (a) keeps partition state as rows; (b) keeps a command log and
// snapshots. Both share the lease table: one row per partition, its epoch raised by every takeover.
import type { Client } from "pg";

export const LEASES = `
  CREATE TABLE IF NOT EXISTS leases (partition_id int PRIMARY KEY, epoch bigint NOT NULL, holder text NOT NULL,
    expires_at timestamptz NOT NULL);
`;

/** (a): rows per invocation, journal entry, lock, inbox item and state entry, as stet's SQLite store has them. */
export const STATE_TABLES = `
  CREATE TABLE IF NOT EXISTS invocations (partition_id int NOT NULL, seq bigint NOT NULL, id text NOT NULL,
    service text NOT NULL, object_key text NOT NULL, status text NOT NULL, created_at bigint NOT NULL,
    modified_at bigint NOT NULL, completed_at bigint, output bytea, expires_at bigint, PRIMARY KEY (partition_id, seq));
  -- attach, output, cancel and /query find an invocation by id from any node
  CREATE UNIQUE INDEX IF NOT EXISTS invocations_id ON invocations (id);
  CREATE INDEX IF NOT EXISTS invocations_unfinished ON invocations (partition_id, status) WHERE status <> 'completed';
  CREATE INDEX IF NOT EXISTS invocations_expiry ON invocations (partition_id, expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE IF NOT EXISTS journal (partition_id int NOT NULL, invocation_seq bigint NOT NULL, idx int NOT NULL,
    type int NOT NULL, frame bytea NOT NULL, PRIMARY KEY (partition_id, invocation_seq, idx));
  CREATE TABLE IF NOT EXISTS object_locks (partition_id int NOT NULL, service text NOT NULL, object_key text NOT NULL,
    invocation_id text NOT NULL, PRIMARY KEY (service, object_key));
  CREATE TABLE IF NOT EXISTS inbox (partition_id int NOT NULL, seq bigint NOT NULL, service text NOT NULL,
    object_key text NOT NULL, invocation_id text NOT NULL, PRIMARY KEY (partition_id, seq));
  CREATE TABLE IF NOT EXISTS state (service text NOT NULL, object_key text NOT NULL, state_key text NOT NULL,
    value bytea NOT NULL, PRIMARY KEY (service, object_key, state_key));
  -- The fence: the first statement of every transaction of a leader. FOR SHARE holds the lease row until
  -- COMMIT, so a takeover (UPDATE ... SET epoch = epoch + 1) waits for a transaction already past the
  -- fence, and every later transaction of the old leader fails here. It raises, rather than returning no
  -- row, because the writes behind it are already pipelined and must not commit.
  CREATE OR REPLACE FUNCTION stet_fence(ps int[], es bigint[]) RETURNS void LANGUAGE plpgsql AS $$
  DECLARE held int;
  BEGIN
    SELECT count(*) INTO held FROM (
      SELECT 1 FROM leases l JOIN unnest(ps, es) AS u(p, e) ON l.partition_id = u.p AND l.epoch = u.e FOR SHARE OF l) x;
    IF held <> cardinality(ps) THEN
      RAISE EXCEPTION 'a partition of % is no longer led at its epoch', ps USING ERRCODE = 'SF001';
    END IF;
  END $$;
`;

/**
 * (a) in one call: the same writes as the pipelined statements, in one function, so a batch is a single
 * statement in its own transaction (one Bind/Execute instead of a dozen). Statements run in order and
 * see each other's rows (a row inserted and updated in one batch), which one statement with data-modifying
 * CTEs would not.
 */
export const APPLY_FUNCTION = `
  CREATE OR REPLACE FUNCTION stet_apply(ps int[], es bigint[],
    i_p int[], i_seq bigint[], i_id text[], i_service text[], i_key text[], i_status text[], i_at bigint[],
    j_p int[], j_seq bigint[], j_idx int[], j_type int[], j_frame bytea[],
    s_p int[], s_seq bigint[], s_status text[], s_at bigint[],
    c_p int[], c_seq bigint[], c_output bytea[], c_at bigint[], c_exp bigint[],
    d_p int[], d_seq bigint[],
    ls_p int[], ls_service text[], ls_key text[], ls_holder text[],
    ld_service text[], ld_key text[],
    bi_p int[], bi_seq bigint[], bi_service text[], bi_key text[], bi_id text[],
    bo_p int[], bo_seq bigint[],
    st_service text[], st_key text[], st_name text[], st_value bytea[]) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM stet_fence(ps, es);
    IF cardinality(i_p) > 0 THEN
      INSERT INTO invocations (partition_id, seq, id, service, object_key, status, created_at, modified_at)
        SELECT u.p, u.seq, u.id, u.service, u.key, u.status, u.at, u.at
        FROM unnest(i_p, i_seq, i_id, i_service, i_key, i_status, i_at) AS u(p, seq, id, service, key, status, at);
    END IF;
    IF cardinality(j_p) > 0 THEN
      INSERT INTO journal (partition_id, invocation_seq, idx, type, frame) SELECT * FROM unnest(j_p, j_seq, j_idx, j_type, j_frame);
    END IF;
    IF cardinality(s_p) > 0 THEN
      UPDATE invocations i SET status = u.status, modified_at = u.at FROM unnest(s_p, s_seq, s_status, s_at) AS u(p, seq, status, at)
        WHERE i.partition_id = u.p AND i.seq = u.seq;
    END IF;
    IF cardinality(c_p) > 0 THEN
      UPDATE invocations i SET status = 'completed', completed_at = u.at, modified_at = u.at, output = u.output, expires_at = u.exp
        FROM unnest(c_p, c_seq, c_output, c_at, c_exp) AS u(p, seq, output, at, exp) WHERE i.partition_id = u.p AND i.seq = u.seq;
    END IF;
    IF cardinality(d_p) > 0 THEN
      DELETE FROM journal j USING unnest(d_p, d_seq) AS u(p, seq) WHERE j.partition_id = u.p AND j.invocation_seq = u.seq;
      DELETE FROM invocations i USING unnest(d_p, d_seq) AS u(p, seq) WHERE i.partition_id = u.p AND i.seq = u.seq;
    END IF;
    IF cardinality(ls_p) > 0 THEN
      INSERT INTO object_locks (partition_id, service, object_key, invocation_id) SELECT * FROM unnest(ls_p, ls_service, ls_key, ls_holder)
        ON CONFLICT (service, object_key) DO UPDATE SET invocation_id = excluded.invocation_id;
    END IF;
    IF cardinality(ld_service) > 0 THEN
      DELETE FROM object_locks l USING unnest(ld_service, ld_key) AS u(service, key) WHERE l.service = u.service AND l.object_key = u.key;
    END IF;
    IF cardinality(bi_p) > 0 THEN
      INSERT INTO inbox (partition_id, seq, service, object_key, invocation_id) SELECT * FROM unnest(bi_p, bi_seq, bi_service, bi_key, bi_id);
    END IF;
    IF cardinality(bo_p) > 0 THEN
      DELETE FROM inbox b USING unnest(bo_p, bo_seq) AS u(p, seq) WHERE b.partition_id = u.p AND b.seq = u.seq;
    END IF;
    IF cardinality(st_service) > 0 THEN
      INSERT INTO state (service, object_key, state_key, value) SELECT * FROM unnest(st_service, st_key, st_name, st_value)
        ON CONFLICT (service, object_key, state_key) DO UPDATE SET value = excluded.value;
    END IF;
  END $$;
`;

/**
 * (b): the command log, one row per group-committed batch. Its key is the fence: a new leader appends an
 * epoch record at the tail, so the old leader's next append hits the primary key and fails; no lease
 * read is needed on the hot path.
 */
export const LOG_TABLES = `
  CREATE TABLE IF NOT EXISTS log (partition_id int NOT NULL, lsn bigint NOT NULL, epoch bigint NOT NULL,
    payload bytea NOT NULL, PRIMARY KEY (partition_id, lsn));
  CREATE TABLE IF NOT EXISTS snapshots (partition_id int NOT NULL, lsn bigint NOT NULL, chunk int NOT NULL,
    data bytea NOT NULL, PRIMARY KEY (partition_id, lsn, chunk));
`;

export async function resetSchema(client: Client, partitions: number): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS leases, invocations, journal, object_locks, inbox, state, log, snapshots CASCADE`);
  await client.query(LEASES + STATE_TABLES + APPLY_FUNCTION + LOG_TABLES);
  await client.query(
    `INSERT INTO leases SELECT p, 1, 'node-1', now() + interval '10 seconds' FROM generate_series(0, $1::int - 1) p`,
    [partitions],
  );
  await client.query("VACUUM ANALYZE");
  await client.query("CHECKPOINT");
}
