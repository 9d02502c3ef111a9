import type { Migration } from "./migrations.js";

/**
 * Tables owned by the partition processors. Journal entries are kept as the exact protocol frames the
 * service sent (or the runtime produced), so a replay streams stored bytes without re-encoding.
 */
export const PARTITION_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE invocations (
          id TEXT PRIMARY KEY,
          partition_id INTEGER NOT NULL,
          service TEXT NOT NULL,
          handler TEXT NOT NULL,
          object_key TEXT NOT NULL DEFAULT '',
          status TEXT NOT NULL,
          idempotency_key TEXT,
          created_at INTEGER NOT NULL,
          modified_at INTEGER NOT NULL,
          retry_count INTEGER NOT NULL DEFAULT 0,
          last_failure TEXT,
          journal_length INTEGER NOT NULL DEFAULT 0,
          completed_at INTEGER,
          output_kind TEXT,
          output BLOB,
          failure_code INTEGER,
          failure_message TEXT
        ) STRICT;
        CREATE INDEX invocations_unfinished ON invocations (partition_id, status) WHERE status <> 'completed';
        CREATE TABLE journal (
          invocation_id TEXT NOT NULL,
          idx INTEGER NOT NULL,
          type INTEGER NOT NULL,
          frame BLOB NOT NULL,
          PRIMARY KEY (invocation_id, idx)
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
];
