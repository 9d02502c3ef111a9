import type { Database, Statement } from "better-sqlite3";
import type { LockTable, StateTable } from "../../partition/storage/object-tables.js";
import type { InvocationId } from "../../protocol/index.js";

/** Key/value state of virtual objects and workflows, per (service, key). */
export class SqliteStateTable implements StateTable {
  readonly #get: Statement;
  readonly #all: Statement;
  readonly #keys: Statement;
  readonly #set: Statement;
  readonly #clear: Statement;
  readonly #clearAll: Statement;

  constructor(db: Database) {
    this.#get = db.prepare("SELECT value FROM state WHERE service = ? AND object_key = ? AND state_key = ?");
    this.#all = db.prepare("SELECT state_key, value FROM state WHERE service = ? AND object_key = ?");
    this.#keys = db.prepare("SELECT state_key FROM state WHERE service = ? AND object_key = ? ORDER BY state_key");
    this.#set = db.prepare(
      "INSERT INTO state (service, object_key, state_key, value) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
    );
    this.#clear = db.prepare("DELETE FROM state WHERE service = ? AND object_key = ? AND state_key = ?");
    this.#clearAll = db.prepare("DELETE FROM state WHERE service = ? AND object_key = ?");
  }

  get(service: string, key: string, stateKey: Uint8Array): Uint8Array | undefined {
    return (this.#get.get(service, key, stateKey) as { value: Buffer } | undefined)?.value;
  }

  all(service: string, key: string): Array<[Uint8Array, Uint8Array]> {
    return (this.#all.all(service, key) as { state_key: Buffer; value: Buffer }[]).map((r) => [r.state_key, r.value]);
  }

  keys(service: string, key: string): Uint8Array[] {
    return (this.#keys.all(service, key) as { state_key: Buffer }[]).map((r) => r.state_key);
  }

  set(service: string, key: string, stateKey: Uint8Array, value: Uint8Array): void {
    this.#set.run(service, key, stateKey, value);
  }

  clear(service: string, key: string, stateKey: Uint8Array): void {
    this.#clear.run(service, key, stateKey);
  }

  clearAll(service: string, key: string): void {
    this.#clearAll.run(service, key);
  }
}

/** Exclusive locks of objects and workflows, and the FIFO inbox of invocations waiting for them. */
export class SqliteLockTable implements LockTable {
  readonly #holder: Statement;
  readonly #take: Statement;
  readonly #release: Statement;
  readonly #push: Statement;
  readonly #peek: Statement;
  readonly #remove: Statement;
  readonly #removeInvocation: Statement;

  constructor(db: Database) {
    this.#holder = db.prepare("SELECT invocation_id FROM object_locks WHERE service = ? AND object_key = ?");
    this.#take = db.prepare("INSERT INTO object_locks (service, object_key, invocation_id) VALUES (?, ?, ?)");
    this.#release = db.prepare("DELETE FROM object_locks WHERE service = ? AND object_key = ? AND invocation_id = ?");
    this.#push = db.prepare("INSERT INTO inbox (service, object_key, invocation_id) VALUES (?, ?, ?)");
    this.#peek = db.prepare("SELECT seq, invocation_id FROM inbox WHERE service = ? AND object_key = ? ORDER BY seq LIMIT 1");
    this.#remove = db.prepare("DELETE FROM inbox WHERE seq = ?");
    this.#removeInvocation = db.prepare("DELETE FROM inbox WHERE invocation_id = ?");
  }

  holder(service: string, key: string): InvocationId | undefined {
    return (this.#holder.get(service, key) as { invocation_id: string } | undefined)?.invocation_id as InvocationId | undefined;
  }

  take(service: string, key: string, id: InvocationId): void {
    this.#take.run(service, key, id);
  }

  release(service: string, key: string, id: InvocationId): void {
    this.#release.run(service, key, id);
  }

  enqueue(service: string, key: string, id: InvocationId): void {
    this.#push.run(service, key, id);
  }

  /** Removes and returns the oldest waiting invocation of the key. */
  dequeue(service: string, key: string): InvocationId | undefined {
    const row = this.#peek.get(service, key) as { seq: number; invocation_id: string } | undefined;
    if (row === undefined) return undefined;
    this.#remove.run(row.seq);
    return row.invocation_id as InvocationId;
  }

  removeFromInbox(id: InvocationId): void {
    this.#removeInvocation.run(id);
  }
}
