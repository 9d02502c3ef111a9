import type { PgMigration } from "./migrations.js";
import { applyFunctionSql } from "./partition-apply.js";

/**
 * Numbers of new rows (invocations, inbox, timers, outbox, waiters, state mutations) come in blocks of
 * this size from one PostgreSQL sequence (postgres/partition-store.ts): 2^32 numbers a block leaves room
 * for 2^21 blocks below 2^53, the largest integer a JavaScript number holds exactly.
 */
export const SEQ_BLOCK = 2 ** 32;

/**
 * The partition tables in PostgreSQL (docs/architecture.md, "PostgreSQL: the decision"), with the
 * SQLite schema's rows (sqlite/store/partition-schema.ts) and columns. Every row names its partition, so
 * a new leader loads one partition's rows by an index. Primary keys never need it: an object's rows
 * (state, locks, promises, idempotency keys, workflows) live in the one partition of their key, and
 * sequence numbers come from one cluster-wide sequence in blocks, so two nodes' leaders never write the
 * same key. Timestamps are ms since the epoch (bigint), frames and values bytea.
 */
export const PARTITION_PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    up: (client) =>
      client.query(`
        CREATE SEQUENCE partition_seq_blocks AS bigint START WITH 1 INCREMENT BY ${SEQ_BLOCK};

        CREATE TABLE invocations (
          seq bigint PRIMARY KEY,
          id text NOT NULL UNIQUE,
          partition_id integer NOT NULL,
          service text NOT NULL,
          handler text NOT NULL,
          object_key text NOT NULL,
          service_type text NOT NULL,
          handler_type text,
          status text NOT NULL,
          idempotency_key text,
          caller_id text,
          caller_completion_id integer,
          execution_time bigint,
          retention_ms bigint,
          expires_at bigint,
          awaiting text,
          holds_lock boolean NOT NULL,
          created_at bigint NOT NULL,
          modified_at bigint NOT NULL,
          retry_count integer NOT NULL,
          last_failure text,
          pinned_deployment_id text,
          pinned_protocol_version integer,
          journal_length integer NOT NULL,
          completed_at bigint,
          output_kind text,
          output bytea,
          failure_code integer,
          failure_message text
        );
        -- The load step reads a whole partition today; loading completed invocations on demand (next
        -- step) reads only the unfinished ones, and the expiry pass reads by partition and due time.
        CREATE INDEX invocations_by_partition ON invocations (partition_id, seq);
        CREATE INDEX invocations_unfinished ON invocations (partition_id) WHERE status <> 'completed';
        CREATE INDEX invocations_expiry ON invocations (partition_id, expires_at) WHERE expires_at IS NOT NULL;

        -- Keyed by the invocation's seq: a new journal goes to the end of the index.
        CREATE TABLE journal (
          invocation_seq bigint NOT NULL,
          idx integer NOT NULL,
          partition_id integer NOT NULL,
          type integer NOT NULL,
          frame bytea NOT NULL,
          PRIMARY KEY (invocation_seq, idx)
        );

        CREATE TABLE state (
          service text NOT NULL,
          object_key text NOT NULL,
          state_key bytea NOT NULL,
          partition_id integer NOT NULL,
          value bytea NOT NULL,
          PRIMARY KEY (service, object_key, state_key)
        );
        CREATE INDEX state_by_partition ON state (partition_id);

        CREATE TABLE object_locks (
          service text NOT NULL,
          object_key text NOT NULL,
          partition_id integer NOT NULL,
          invocation_id text NOT NULL,
          PRIMARY KEY (service, object_key)
        );
        CREATE INDEX object_locks_by_partition ON object_locks (partition_id);

        CREATE TABLE inbox (
          seq bigint PRIMARY KEY,
          partition_id integer NOT NULL,
          service text NOT NULL,
          object_key text NOT NULL,
          invocation_id text NOT NULL
        );
        CREATE INDEX inbox_by_partition ON inbox (partition_id, seq);

        CREATE TABLE timers (
          seq bigint PRIMARY KEY,
          partition_id integer NOT NULL,
          fire_at bigint NOT NULL,
          invocation_id text NOT NULL,
          kind text NOT NULL,
          completion_id integer
        );
        CREATE INDEX timers_due ON timers (partition_id, fire_at);

        CREATE TABLE outbox (
          seq bigint PRIMARY KEY,
          source_partition integer NOT NULL,
          target_partition integer NOT NULL,
          message text NOT NULL
        );
        CREATE INDEX outbox_by_source ON outbox (source_partition, seq);

        CREATE TABLE idempotency (
          service text NOT NULL,
          object_key text NOT NULL,
          handler text NOT NULL,
          idempotency_key text NOT NULL,
          partition_id integer NOT NULL,
          invocation_id text NOT NULL,
          PRIMARY KEY (service, object_key, handler, idempotency_key)
        );
        CREATE INDEX idempotency_by_partition ON idempotency (partition_id);

        CREATE TABLE workflows (
          service text NOT NULL,
          object_key text NOT NULL,
          partition_id integer NOT NULL,
          invocation_id text NOT NULL,
          PRIMARY KEY (service, object_key)
        );
        CREATE INDEX workflows_by_partition ON workflows (partition_id);

        CREATE TABLE promises (
          service text NOT NULL,
          object_key text NOT NULL,
          name text NOT NULL,
          partition_id integer NOT NULL,
          kind text NOT NULL,
          value bytea,
          failure_code integer,
          failure_message text,
          PRIMARY KEY (service, object_key, name)
        );
        CREATE INDEX promises_by_partition ON promises (partition_id);

        CREATE TABLE waiters (
          seq bigint PRIMARY KEY,
          partition_id integer NOT NULL,
          kind text NOT NULL,
          -- UTF-8: a promise's target joins workflow, key and name with NUL, which text cannot hold.
          target bytea NOT NULL,
          waiter_id text NOT NULL,
          completion_id integer NOT NULL,
          notification_type integer NOT NULL
        );
        CREATE INDEX waiters_by_partition ON waiters (partition_id, seq);

        -- The new state's keys and values packed in one value (postgres/partition-rows.ts), as SQLite does.
        CREATE TABLE state_mutations (
          seq bigint PRIMARY KEY,
          partition_id integer NOT NULL,
          service text NOT NULL,
          object_key text NOT NULL,
          expected_version text,
          new_state bytea NOT NULL
        );
        CREATE INDEX state_mutations_by_partition ON state_mutations (partition_id, seq);
      `),
  },
  // One round trip per group commit (postgres/partition-apply.ts).
  { version: 2, up: (client) => client.query(applyFunctionSql()) },
];
