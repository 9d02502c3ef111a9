// The hot path of W1 and W3 as partition commands, and a deterministic apply over an in-memory model of
// the partition that every option shares. What differs between the options is only where the rows go
// (the `RowSink`) and what is made durable first (rows, or the commands themselves).
import { randomBytes, randomFillSync } from "node:crypto";

export const SERVICE = "Bench";
export const OBJECT = "Counter";

/** Journal entry types (the real message type ids do not matter here, only the row shapes do). */
export const ENTRY = { input: 0x0400, run: 0x0411, runDone: 0x8011, setState: 0x0402, output: 0x0401 } as const;

export type Command =
  | { readonly k: "invoke"; readonly id: string; readonly key: string; readonly input: Buffer; readonly now: number }
  | { readonly k: "journal"; readonly id: string; readonly entries: readonly Entry[]; readonly now: number }
  | { readonly k: "end"; readonly id: string; readonly output: Buffer; readonly now: number }
  | { readonly k: "expire"; readonly ids: readonly string[]; readonly now: number };

export interface Entry {
  readonly type: number;
  readonly frame: Buffer;
  /** Set for setState entries: the state row the entry writes. */
  readonly state?: { readonly key: string; readonly value: Buffer };
}

export interface InvocationRow {
  readonly id: string;
  readonly seq: number;
  readonly service: string;
  readonly key: string;
  status: "invoked" | "inboxed" | "completed";
  journalLength: number;
  readonly createdAt: number;
}

/** Where applied changes go: row images for PostgreSQL (a), statements on local SQLite (b, baseline). */
export interface RowSink {
  insertInvocation(row: InvocationRow): void;
  setStatus(row: InvocationRow, now: number): void;
  complete(row: InvocationRow, output: Buffer, now: number, expiresAt: number): void;
  appendJournal(row: InvocationRow, idx: number, type: number, frame: Buffer): void;
  deleteInvocation(id: string, seq: number): void;
  setLock(service: string, key: string, holder: string | undefined): void;
  pushInbox(service: string, key: string, seq: number, id: string): void;
  popInbox(seq: number): void;
  setState(service: string, key: string, stateKey: string, value: Buffer): void;
}

/** What the caller learns after the commit; `started` lists invocations that may run now. */
export interface Outcome {
  readonly applied: boolean;
  readonly started: readonly string[];
}

const NONE: Outcome = { applied: true, started: [] };

/**
 * One partition's hot state in memory (unfinished invocations, locks, inboxes, object state), as both
 * a Temporal-style leader (its cache of what it wrote) and a Restate-style leader (its materialized
 * state) keep it. Completed invocations leave memory; their expiry times stay in a FIFO.
 */
export class PartitionModel {
  readonly live = new Map<string, InvocationRow>();
  readonly locks = new Map<string, string>();
  readonly inboxes = new Map<string, Array<{ seq: number; id: string }>>();
  readonly state = new Map<string, Buffer>();
  readonly expiring: Array<{ at: number; id: string; seq: number }> = [];
  /** Expired ids by id → seq, for the delete (the journal is keyed by seq). */
  readonly completedSeq = new Map<string, number>();
  nextSeq = 1;
  inboxSeq = 1;

  constructor(
    readonly partition: number,
    readonly retentionMs: number,
  ) {}

  apply(cmd: Command, sink: RowSink): Outcome {
    switch (cmd.k) {
      case "invoke":
        return this.#invoke(cmd, sink);
      case "journal": {
        const row = this.live.get(cmd.id);
        if (row === undefined || row.status !== "invoked") return { applied: false, started: [] };
        for (const entry of cmd.entries) {
          sink.appendJournal(row, row.journalLength++, entry.type, entry.frame);
          if (entry.state !== undefined) {
            this.state.set(stateKey(row.service, row.key, entry.state.key), entry.state.value);
            sink.setState(row.service, row.key, entry.state.key, entry.state.value);
          }
        }
        return NONE;
      }
      case "end":
        return this.#end(cmd, sink);
      case "expire":
        for (const id of cmd.ids) {
          const seq = this.completedSeq.get(id);
          if (seq === undefined) continue;
          this.completedSeq.delete(id);
          sink.deleteInvocation(id, seq);
        }
        return NONE;
    }
  }

  #invoke(cmd: Extract<Command, { k: "invoke" }>, sink: RowSink): Outcome {
    const service = cmd.key === "" ? SERVICE : OBJECT;
    const row: InvocationRow = { id: cmd.id, seq: this.nextSeq++, service, key: cmd.key, status: "invoked", journalLength: 0, createdAt: cmd.now };
    let started: string[] = [cmd.id];
    if (cmd.key !== "") {
      const lock = lockKey(service, cmd.key);
      if (this.locks.has(lock)) {
        row.status = "inboxed";
        const seq = this.inboxSeq++;
        let inbox = this.inboxes.get(lock);
        if (inbox === undefined) this.inboxes.set(lock, (inbox = []));
        inbox.push({ seq, id: cmd.id });
        sink.pushInbox(service, cmd.key, seq, cmd.id);
        started = [];
      } else {
        this.locks.set(lock, cmd.id);
        sink.setLock(service, cmd.key, cmd.id);
      }
    }
    this.live.set(row.id, row);
    sink.insertInvocation(row);
    sink.appendJournal(row, row.journalLength++, ENTRY.input, cmd.input);
    return { applied: true, started };
  }

  #end(cmd: Extract<Command, { k: "end" }>, sink: RowSink): Outcome {
    const row = this.live.get(cmd.id);
    if (row === undefined || row.status !== "invoked") return { applied: false, started: [] };
    row.status = "completed";
    this.live.delete(row.id);
    const expiresAt = cmd.now + this.retentionMs;
    this.expiring.push({ at: expiresAt, id: row.id, seq: row.seq });
    this.completedSeq.set(row.id, row.seq);
    sink.complete(row, cmd.output, cmd.now, expiresAt);
    if (row.key === "") return NONE;
    // Pass the object's lock to the next in its inbox, in the same transaction.
    const lock = lockKey(row.service, row.key);
    const next = this.inboxes.get(lock)?.shift();
    if (next === undefined) {
      this.locks.delete(lock);
      sink.setLock(row.service, row.key, undefined);
      return NONE;
    }
    this.locks.set(lock, next.id);
    sink.setLock(row.service, row.key, next.id);
    sink.popInbox(next.seq);
    const nextRow = this.live.get(next.id)!;
    nextRow.status = "invoked";
    sink.setStatus(nextRow, cmd.now);
    return { applied: true, started: [next.id] };
  }

  /** Ids whose retention has passed, oldest first (the expiry pass proposes them as one command). */
  dueForExpiry(now: number, limit: number): string[] {
    const ids: string[] = [];
    for (const item of this.expiring) {
      if (item.at > now || ids.length >= limit) break;
      ids.push(item.id);
    }
    this.expiring.splice(0, ids.length);
    return ids;
  }

  readState(key: string, stateKeyName: string): Buffer | undefined {
    return this.state.get(stateKey(OBJECT, key, stateKeyName));
  }
}

const lockKey = (service: string, key: string): string => `${service}\u0000${key}`;
const stateKey = (service: string, key: string, name: string): string => `${service}\u0000${key}\u0000${name}`;

/** An invocation id shaped like stet's (`inv_` + 26 characters): random, so inserts land anywhere in an index. */
export function newInvocationId(): string {
  return `inv_${randomBytes(17).toString("base64url").slice(0, 26)}`;
}

/** Frames of about the sizes W1 and W3 produce (8-byte header + a small protobuf message). */
export const FRAMES = {
  input: (n: number): Buffer => frame(ENTRY.input, 40, n),
  run: (): Buffer => frame(ENTRY.run, 24, 0),
  runDone: (n: number): Buffer => frame(ENTRY.runDone, 20, n),
  setState: (n: number): Buffer => frame(ENTRY.setState, 16, n),
  output: (n: number): Buffer => frame(ENTRY.output, 20, n),
};

/** Bodies are random bytes: protobuf payloads barely compress, and TOAST would flatter zeros. */
function frame(type: number, size: number, n: number): Buffer {
  const b = randomFillSync(Buffer.allocUnsafe(8 + size));
  b.writeUInt16BE(type, 0);
  b.writeUInt32BE(size, 4);
  b.writeUInt32BE(n >>> 0, 8);
  return b;
}
