import type { Database, Statement } from "better-sqlite3";
import type { InvocationId } from "../../protocol/index.js";
import { applyMigrations } from "./migrations.js";
import { PARTITION_MIGRATIONS } from "./partition-schema.js";
import type {
  InvocationOutcome,
  InvocationRecord,
  InvocationStatus,
  InvocationTarget,
  JournalEntry,
  PartitionId,
} from "../types.js";

interface InvocationRow {
  id: string;
  partition_id: number;
  service: string;
  handler: string;
  object_key: string;
  status: string;
  idempotency_key: string | null;
  created_at: number;
  modified_at: number;
  retry_count: number;
  last_failure: string | null;
  journal_length: number;
  completed_at: number | null;
  output_kind: string | null;
  output: Buffer | null;
  failure_code: number | null;
  failure_message: string | null;
}

export interface NewInvocationRow {
  readonly id: InvocationId;
  readonly partition: PartitionId;
  readonly target: InvocationTarget;
  readonly idempotencyKey: string | null;
  readonly now: number;
}

/**
 * Reads and writes of partition state. Every method is one or a few prepared statements; callers (the
 * partition's apply step) wrap them in the group-commit transaction, so nothing here opens transactions.
 */
export class PartitionStore {
  readonly #insertInvocation: Statement;
  readonly #getInvocation: Statement;
  readonly #appendEntry: Statement;
  readonly #readJournal: Statement;
  readonly #setStatus: Statement;
  readonly #recordFailure: Statement;
  readonly #complete: Statement;
  readonly #listUnfinished: Statement;
  readonly #setJournalLength: Statement;

  constructor(readonly db: Database) {
    applyMigrations(db, "partition", PARTITION_MIGRATIONS);
    this.#insertInvocation = db.prepare(
      `INSERT INTO invocations (id, partition_id, service, handler, object_key, status, idempotency_key, created_at, modified_at)
       VALUES (@id, @partition, @service, @handler, @key, 'invoked', @idempotencyKey, @now, @now)`,
    );
    this.#getInvocation = db.prepare("SELECT * FROM invocations WHERE id = ?");
    this.#appendEntry = db.prepare(
      `INSERT INTO journal (invocation_id, idx, type, frame) VALUES (?, ?, ?, ?)`,
    );
    this.#readJournal = db.prepare("SELECT type, frame FROM journal WHERE invocation_id = ? ORDER BY idx");
    this.#setStatus = db.prepare("UPDATE invocations SET status = ?, modified_at = ? WHERE id = ?");
    this.#recordFailure = db.prepare(
      "UPDATE invocations SET status = 'backing-off', retry_count = retry_count + 1, last_failure = ?, modified_at = ? WHERE id = ?",
    );
    this.#complete = db.prepare(
      `UPDATE invocations SET status = 'completed', completed_at = @now, modified_at = @now,
         output_kind = @kind, output = @output, failure_code = @code, failure_message = @message
       WHERE id = @id`,
    );
    this.#setJournalLength = db.prepare("UPDATE invocations SET journal_length = ?, modified_at = ? WHERE id = ?");
    this.#listUnfinished = db.prepare(
      "SELECT * FROM invocations WHERE partition_id = ? AND status <> 'completed' ORDER BY created_at, id",
    );
  }

  insertInvocation(row: NewInvocationRow): void {
    this.#insertInvocation.run({
      id: row.id,
      partition: row.partition,
      service: row.target.service,
      handler: row.target.handler,
      key: row.target.key,
      idempotencyKey: row.idempotencyKey,
      now: row.now,
    });
  }

  getInvocation(id: string): InvocationRecord | undefined {
    const row = this.#getInvocation.get(id) as InvocationRow | undefined;
    return row === undefined ? undefined : toRecord(row);
  }

  /** Appends entries after the current journal end; returns the new journal length. */
  appendEntries(id: InvocationId, startIndex: number, entries: readonly JournalEntry[], now: number): number {
    let idx = startIndex;
    for (const entry of entries) this.#appendEntry.run(id, idx++, entry.type, entry.frame);
    this.#setJournalLength.run(idx, now, id);
    return idx;
  }

  readJournal(id: InvocationId): JournalEntry[] {
    return (this.#readJournal.all(id) as { type: number; frame: Buffer }[]).map((r) => ({
      type: r.type,
      frame: r.frame,
    }));
  }

  setStatus(id: InvocationId, status: InvocationStatus, now: number): void {
    this.#setStatus.run(status, now, id);
  }

  recordFailure(id: InvocationId, failure: string, now: number): void {
    this.#recordFailure.run(failure, now, id);
  }

  complete(id: InvocationId, outcome: InvocationOutcome, now: number): void {
    this.#complete.run({
      id,
      now,
      kind: outcome.kind,
      output: outcome.kind === "value" ? outcome.value : null,
      code: outcome.kind === "failure" ? outcome.code : null,
      message: outcome.kind === "failure" ? outcome.message : null,
    });
  }

  listUnfinished(partition: PartitionId): InvocationRecord[] {
    return (this.#listUnfinished.all(partition) as InvocationRow[]).map(toRecord);
  }
}

function toRecord(row: InvocationRow): InvocationRecord {
  let outcome: InvocationOutcome | null = null;
  if (row.output_kind === "value") outcome = { kind: "value", value: row.output ?? new Uint8Array() };
  else if (row.output_kind === "failure")
    outcome = { kind: "failure", code: row.failure_code ?? 500, message: row.failure_message ?? "" };
  return {
    id: row.id as InvocationId,
    partition: row.partition_id as PartitionId,
    target: { service: row.service, handler: row.handler, key: row.object_key },
    status: row.status as InvocationStatus,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    retryCount: row.retry_count,
    lastFailure: row.last_failure,
    journalLength: row.journal_length,
    completedAt: row.completed_at,
    outcome,
  };
}
