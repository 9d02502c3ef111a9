import type { Database, Statement } from "better-sqlite3";
import {
  stateMutationMarker,
  stateMutationSeq,
  type StateMutation,
  type StateMutationTable,
} from "../../partition/storage/state-mutation-table.js";

/**
 * State mutations waiting behind their key's lock. The inbox names a waiting one by its marker in
 * place of an invocation id, so it is applied in arrival order with the key's invocations.
 */
export class SqliteStateMutationTable implements StateMutationTable {
  readonly #insert: Statement;
  readonly #take: Statement;
  readonly #delete: Statement;

  constructor(db: Database) {
    this.#insert = db.prepare("INSERT INTO state_mutations (service, object_key, expected_version, new_state) VALUES (?, ?, ?, ?)");
    this.#take = db.prepare("SELECT service, object_key, expected_version, new_state FROM state_mutations WHERE seq = ?");
    this.#delete = db.prepare("DELETE FROM state_mutations WHERE seq = ?");
  }

  /** Stores a mutation; returns the inbox marker that names it. */
  add(mutation: StateMutation): string {
    const { lastInsertRowid } = this.#insert.run(mutation.service, mutation.key, mutation.expectedVersion, encodeEntries(mutation.entries));
    return stateMutationMarker(lastInsertRowid);
  }

  /** Removes and returns the mutation a marker names. */
  take(marker: string): StateMutation | undefined {
    const seq = stateMutationSeq(marker);
    if (seq === undefined) return undefined;
    const row = this.#take.get(seq) as { service: string; object_key: string; expected_version: string | null; new_state: Buffer } | undefined;
    if (row === undefined) return undefined;
    this.#delete.run(seq);
    return { service: row.service, key: row.object_key, expectedVersion: row.expected_version, entries: decodeEntries(row.new_state) };
  }
}

/** `u32 count`, then per entry `u32 length, key, u32 length, value` (big-endian). */
function encodeEntries(entries: StateMutation["entries"]): Buffer {
  const parts: Buffer[] = [u32(entries.length)];
  for (const [key, value] of entries) parts.push(u32(key.length), Buffer.from(key), u32(value.length), Buffer.from(value));
  return Buffer.concat(parts);
}

function decodeEntries(bytes: Buffer): Array<[Uint8Array, Uint8Array]> {
  const entries: Array<[Uint8Array, Uint8Array]> = [];
  let at = 4;
  const next = (): Buffer => {
    const length = bytes.readUInt32BE(at);
    at += 4 + length;
    return bytes.subarray(at - length, at);
  };
  for (let i = bytes.readUInt32BE(0); i > 0; i--) entries.push([next(), next()]);
  return entries;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
