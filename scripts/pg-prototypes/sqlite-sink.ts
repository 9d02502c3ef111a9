// Partition rows on SQLite, shaped as stet's store keeps them (invocations by seq, journal by
// (invocation seq, idx), locks, inbox, state). Used by the baseline (stet today: fsync on commit) and
// by option (b) as the local state a leader rebuilds from PostgreSQL (no fsync: the log is durable).
import Database from "better-sqlite3";
import type { Database as Db, Statement } from "better-sqlite3";
import type { InvocationRow, RowSink } from "./model.js";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS invocations (
    seq INTEGER NOT NULL, partition_id INTEGER NOT NULL, id TEXT NOT NULL UNIQUE, service TEXT NOT NULL,
    object_key TEXT NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL,
    completed_at INTEGER, output BLOB, expires_at INTEGER, PRIMARY KEY (partition_id, seq)) STRICT, WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS invocations_unfinished ON invocations (partition_id, status) WHERE status <> 'completed';
  CREATE INDEX IF NOT EXISTS invocations_expiry ON invocations (partition_id, expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE IF NOT EXISTS journal (partition_id INTEGER NOT NULL, invocation_seq INTEGER NOT NULL, idx INTEGER NOT NULL,
    type INTEGER NOT NULL, frame BLOB NOT NULL, PRIMARY KEY (partition_id, invocation_seq, idx)) STRICT, WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS object_locks (service TEXT NOT NULL, object_key TEXT NOT NULL, invocation_id TEXT NOT NULL,
    PRIMARY KEY (service, object_key)) STRICT, WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS inbox (partition_id INTEGER NOT NULL, seq INTEGER NOT NULL, service TEXT NOT NULL,
    object_key TEXT NOT NULL, invocation_id TEXT NOT NULL, PRIMARY KEY (partition_id, seq)) STRICT, WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS state (service TEXT NOT NULL, object_key TEXT NOT NULL, state_key TEXT NOT NULL,
    value BLOB NOT NULL, PRIMARY KEY (service, object_key, state_key)) STRICT, WITHOUT ROWID;
`;

export function openSqlite(path: string, durable: boolean): Db {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  // durable: stet today (fsync on every commit). Otherwise the state is a cache of a durable log.
  db.pragma(durable ? "synchronous = FULL" : "synchronous = OFF");
  db.exec(SCHEMA);
  return db;
}

export class SqliteSink implements RowSink {
  readonly #s: Record<string, Statement>;

  constructor(
    readonly db: Db,
    readonly partition: number,
  ) {
    this.#s = {
      insInv: db.prepare(
        "INSERT INTO invocations (seq, partition_id, id, service, object_key, status, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      status: db.prepare("UPDATE invocations SET status = ?, modified_at = ? WHERE partition_id = ? AND seq = ?"),
      complete: db.prepare(
        "UPDATE invocations SET status = 'completed', completed_at = ?, modified_at = ?, output = ?, expires_at = ? WHERE partition_id = ? AND seq = ?",
      ),
      journal: db.prepare("INSERT INTO journal (partition_id, invocation_seq, idx, type, frame) VALUES (?, ?, ?, ?, ?)"),
      delInv: db.prepare("DELETE FROM invocations WHERE partition_id = ? AND seq = ?"),
      delJournal: db.prepare("DELETE FROM journal WHERE partition_id = ? AND invocation_seq = ?"),
      lockSet: db.prepare("INSERT OR REPLACE INTO object_locks (service, object_key, invocation_id) VALUES (?, ?, ?)"),
      lockDel: db.prepare("DELETE FROM object_locks WHERE service = ? AND object_key = ?"),
      inboxPush: db.prepare("INSERT INTO inbox (partition_id, seq, service, object_key, invocation_id) VALUES (?, ?, ?, ?, ?)"),
      inboxPop: db.prepare("DELETE FROM inbox WHERE partition_id = ? AND seq = ?"),
      state: db.prepare("INSERT OR REPLACE INTO state (service, object_key, state_key, value) VALUES (?, ?, ?, ?)"),
    };
  }

  insertInvocation(row: InvocationRow): void {
    this.#s.insInv!.run(row.seq, this.partition, row.id, row.service, row.key, row.status, row.createdAt, row.createdAt);
  }
  setStatus(row: InvocationRow, now: number): void {
    this.#s.status!.run(row.status, now, this.partition, row.seq);
  }
  complete(row: InvocationRow, output: Buffer, now: number, expiresAt: number): void {
    this.#s.complete!.run(now, now, output, expiresAt, this.partition, row.seq);
  }
  appendJournal(row: InvocationRow, idx: number, type: number, frame: Buffer): void {
    this.#s.journal!.run(this.partition, row.seq, idx, type, frame);
  }
  deleteInvocation(_id: string, seq: number): void {
    this.#s.delJournal!.run(this.partition, seq);
    this.#s.delInv!.run(this.partition, seq);
  }
  setLock(service: string, key: string, holder: string | undefined): void {
    if (holder === undefined) this.#s.lockDel!.run(service, key);
    else this.#s.lockSet!.run(service, key, holder);
  }
  pushInbox(service: string, key: string, seq: number, id: string): void {
    this.#s.inboxPush!.run(this.partition, seq, service, key, id);
  }
  popInbox(seq: number): void {
    this.#s.inboxPop!.run(this.partition, seq);
  }
  setState(service: string, key: string, stateKey: string, value: Buffer): void {
    this.#s.state!.run(service, key, stateKey, value);
  }
}
