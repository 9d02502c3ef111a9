import type { Database, Statement } from "better-sqlite3";
import type { DueTimer, OutboxRow, OutboxTable, TimerKind, TimerTable } from "../../partition/storage/schedule-tables.js";
import type { InvocationId } from "../../protocol/index.js";

/** `sleep`: completes a SleepCommand. `start`: starts a scheduled (delayed) invocation. */
export class SqliteTimerTable implements TimerTable {
  readonly #insert: Statement;
  readonly #due: Statement;
  readonly #delete: Statement;
  readonly #deleteFor: Statement;
  readonly #earliest: Statement;
  #count: Statement | undefined;

  constructor(private readonly db: Database) {
    this.#insert = db.prepare(
      "INSERT INTO timers (partition_id, fire_at, invocation_id, kind, completion_id) VALUES (?, ?, ?, ?, ?)",
    );
    this.#due = db.prepare(
      "SELECT seq, invocation_id, kind, completion_id, fire_at FROM timers WHERE partition_id = ? AND fire_at <= ? ORDER BY fire_at, seq LIMIT ?",
    );
    this.#delete = db.prepare("DELETE FROM timers WHERE seq = ?");
    this.#deleteFor = db.prepare("DELETE FROM timers WHERE invocation_id = ?");
    this.#earliest = db.prepare("SELECT MIN(fire_at) AS at FROM timers WHERE partition_id = ?");
  }

  add(partition: number, fireAt: number, id: InvocationId, kind: TimerKind, completionId: number | null): void {
    this.#insert.run(partition, fireAt, id, kind, completionId);
  }

  due(partition: number, now: number, limit: number): DueTimer[] {
    return (
      this.#due.all(partition, now, limit) as { seq: number; invocation_id: string; kind: string; completion_id: number | null; fire_at: number }[]
    ).map((r) => ({
      seq: r.seq,
      invocationId: r.invocation_id as InvocationId,
      kind: r.kind as TimerKind,
      completionId: r.completion_id,
      fireAt: r.fire_at,
    }));
  }

  delete(seq: number): void {
    this.#delete.run(seq);
  }

  /** Drops every timer of an invocation (it completed, was killed or cancelled). */
  deleteFor(id: InvocationId): void {
    this.#deleteFor.run(id);
  }

  /** Timers waiting to fire, over all partitions (metrics, on scrape). Prepared on first use: not at startup. */
  count(): number {
    this.#count ??= this.db.prepare("SELECT COUNT(*) AS n FROM timers");
    return (this.#count.get() as { n: number }).n;
  }

  earliest(partition: number): number | undefined {
    return (this.#earliest.get(partition) as { at: number | null }).at ?? undefined;
  }
}

/** Messages from one partition to another, written in the sender's transaction, deleted on delivery. */
export class SqliteOutboxTable implements OutboxTable {
  readonly #insert: Statement;
  readonly #delete: Statement;
  readonly #exists: Statement;
  readonly #pending: Statement;

  constructor(db: Database) {
    this.#insert = db.prepare("INSERT INTO outbox (source_partition, target_partition, message) VALUES (?, ?, ?)");
    this.#delete = db.prepare("DELETE FROM outbox WHERE seq = ?");
    this.#exists = db.prepare("SELECT 1 FROM outbox WHERE seq = ?");
    this.#pending = db.prepare("SELECT seq, target_partition, message FROM outbox WHERE source_partition = ? ORDER BY seq");
  }

  add(source: number, target: number, message: string): number {
    return Number(this.#insert.run(source, target, message).lastInsertRowid);
  }

  /** Deletes the row; false when it was already delivered (so delivery is applied exactly once). */
  take(seq: number): boolean {
    if (this.#exists.get(seq) === undefined) return false;
    this.#delete.run(seq);
    return true;
  }

  pending(source: number): OutboxRow[] {
    return (this.#pending.all(source) as { seq: number; target_partition: number; message: string }[]).map((r) => ({
      seq: r.seq,
      targetPartition: r.target_partition,
      message: r.message,
    }));
  }
}
