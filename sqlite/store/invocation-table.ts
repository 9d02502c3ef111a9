import type { Database, Statement } from "better-sqlite3";
import { newInvocationRecord, type InvocationTable, type NewInvocationRow } from "../../partition/storage/invocation-table.js";
import type { DeploymentPin } from "../../invoker/index.js";
import type { AwaitedIds, InvocationId } from "../../protocol/index.js";
import type {
  HandlerType,
  InvocationOutcome,
  InvocationRecord,
  InvocationStatus,
  InvocationTarget,
  JournalEntry,
  PartitionId,
  ServiceType,
} from "../../partition/types.js";

/** Rows of unfinished invocations kept in memory at most (about the invoker's live attempts, and more). */
const CACHE_LIMIT = 8192;

const JOURNAL_COUNT = "(SELECT count(*) FROM journal WHERE journal.invocation_seq = invocations.seq) AS journal_count";
/** The journal is keyed by the invocation's `seq` (see migration 3); statements name invocations by id. */
const SEQ_OF = "(SELECT seq FROM invocations WHERE id = ?)";

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
  journal_count: number;
  completed_at: number | null;
  output_kind: string | null;
  output: Buffer | null;
  failure_code: number | null;
  failure_message: string | null;
  service_type: string;
  handler_type: string | null;
  holds_lock: number;
  caller_id: string | null;
  caller_completion_id: number | null;
  execution_time: number | null;
  retention_ms: number | null;
  expires_at: number | null;
  awaiting: string | null;
  pinned_deployment_id: string | null;
  pinned_protocol_version: number | null;
}

/**
 * Invocation rows and their journals. Statements only: the caller's transaction makes them atomic.
 *
 * Rows of unfinished invocations are also kept in memory (write-through), because every effect of a
 * live attempt reads its invocation first: the W1 profile showed that SELECT at 10% of stet's CPU.
 * The cache only mirrors what this process wrote, so it is dropped whole whenever a transaction
 * rolls back (`invalidate`), and it never holds completed invocations (their outputs can be large).
 * It is bounded (`CACHE_LIMIT`, oldest first out): 100k ready invocations must not mean 100k rows in
 * memory (the SCALE benchmark peaked at ~1 GB before the bound).
 */
export class SqliteInvocationTable implements InvocationTable {
  readonly #live = new Map<string, InvocationRecord>();

  #remember(record: InvocationRecord): void {
    if (this.#live.size >= CACHE_LIMIT && !this.#live.has(record.id)) {
      const oldest = this.#live.keys().next().value;
      if (oldest !== undefined) this.#live.delete(oldest);
    }
    this.#live.set(record.id, record);
  }
  readonly #insert: Statement;
  readonly #get: Statement;
  readonly #appendEntry: Statement;
  readonly #readJournal: Statement;
  readonly #readJournalFrom: Statement;
  readonly #setStatus: Statement;
  readonly #setLock: Statement;
  readonly #suspend: Statement;
  readonly #recordFailure: Statement;
  readonly #complete: Statement;
  readonly #listUnfinished: Statement;
  readonly #deleteJournal: Statement;
  readonly #delete: Statement;
  readonly #listExpired: Statement;
  readonly #listChildren: Statement;
  readonly #pin: Statement;

  constructor(db: Database) {
    this.#insert = db.prepare(
      `INSERT INTO invocations (id, partition_id, service, handler, object_key, status, idempotency_key, created_at, modified_at,
         service_type, handler_type, caller_id, caller_completion_id, execution_time, retention_ms)
       VALUES (@id, @partition, @service, @handler, @key, @status, @idempotencyKey, @now, @now,
         @serviceType, @handlerType, @callerId, @callerCompletionId, @executionTime, @retentionMs)`,
    );
    // The journal's length is counted from the journal itself when a row is read from disk: appends do
    // not rewrite the invocation row (that UPDATE was a third of the append cost in the W1 profile).
    this.#get = db.prepare(`SELECT *, ${JOURNAL_COUNT} FROM invocations WHERE id = ?`);
    this.#appendEntry = db.prepare(`INSERT INTO journal (invocation_seq, idx, type, frame) VALUES (${SEQ_OF}, ?, ?, ?)`);
    this.#readJournal = db.prepare(`SELECT type, frame FROM journal WHERE invocation_seq = ${SEQ_OF} ORDER BY idx`);
    this.#readJournalFrom = db.prepare(`SELECT type, frame FROM journal WHERE invocation_seq = ${SEQ_OF} AND idx >= ? ORDER BY idx`);
    this.#setStatus = db.prepare("UPDATE invocations SET status = ?, modified_at = ? WHERE id = ?");
    this.#suspend = db.prepare("UPDATE invocations SET status = 'suspended', awaiting = ?, modified_at = ? WHERE id = ?");
    this.#setLock = db.prepare("UPDATE invocations SET holds_lock = ?, modified_at = ? WHERE id = ?");
    this.#recordFailure = db.prepare(
      "UPDATE invocations SET status = ?, retry_count = retry_count + 1, last_failure = ?, modified_at = ? WHERE id = ?",
    );
    this.#complete = db.prepare(
      `UPDATE invocations SET status = 'completed', completed_at = @now, modified_at = @now, holds_lock = 0,
         output_kind = @kind, output = @output, failure_code = @code, failure_message = @message,
         expires_at = CASE WHEN retention_ms IS NULL THEN NULL ELSE @now + retention_ms END
       WHERE id = @id`,
    );
    this.#listUnfinished = db.prepare(
      `SELECT *, ${JOURNAL_COUNT} FROM invocations WHERE partition_id = ? AND status <> 'completed' ORDER BY created_at, id`,
    );

    this.#deleteJournal = db.prepare(`DELETE FROM journal WHERE invocation_seq = ${SEQ_OF}`);
    this.#delete = db.prepare("DELETE FROM invocations WHERE id = ?");
    this.#listExpired = db.prepare(
      "SELECT id FROM invocations WHERE partition_id = ? AND expires_at IS NOT NULL AND expires_at <= ? LIMIT ?",
    );
    this.#listChildren = db.prepare("SELECT id FROM invocations WHERE caller_id = ? AND status <> 'completed'");
    this.#pin = db.prepare("UPDATE invocations SET pinned_deployment_id = ?, pinned_protocol_version = ? WHERE id = ?");
  }

  insert(row: NewInvocationRow): void {
    this.#remember(newInvocationRecord(row));
    this.#insert.run({
      id: row.id,
      partition: row.partition,
      service: row.target.service,
      handler: row.target.handler,
      key: row.target.key,
      status: row.status,
      idempotencyKey: row.idempotencyKey,
      now: row.now,
      serviceType: row.serviceType,
      handlerType: row.handlerType,
      callerId: row.caller?.id ?? null,
      callerCompletionId: row.caller?.completionId ?? null,
      executionTime: row.executionTime,
      retentionMs: row.retentionMs,
    });
  }

  get(id: string): InvocationRecord | undefined {
    const cached = this.#live.get(id);
    if (cached !== undefined) return cached;
    const row = this.#get.get(id) as InvocationRow | undefined;
    if (row === undefined) return undefined;
    const record = toRecord(row);
    if (record.status !== "completed") this.#remember(record);
    return record;
  }

  /** Forgets the in-memory rows; the next reads go to the database. Called after any rollback. */
  invalidate(): void {
    this.#live.clear();
  }

  #update(id: string, change: Partial<InvocationRecord>): void {
    const cached = this.#live.get(id);
    if (cached !== undefined) this.#live.set(id, { ...cached, ...change });
  }

  /** Appends entries at `startIndex` (the current journal length); returns the new length. */
  append(id: InvocationId, startIndex: number, entries: readonly JournalEntry[], now: number): number {
    let idx = startIndex;
    for (const entry of entries) this.#appendEntry.run(id, idx++, entry.type, entry.frame);
    this.#update(id, { journalLength: idx, modifiedAt: now });
    return idx;
  }

  /** Journal entries from index `from` on. */
  readJournalFrom(id: InvocationId, from: number): JournalEntry[] {
    return (this.#readJournalFrom.all(id, from) as { type: number; frame: Buffer }[]).map((r) => ({ type: r.type, frame: r.frame }));
  }

  readJournal(id: InvocationId): JournalEntry[] {
    return (this.#readJournal.all(id) as { type: number; frame: Buffer }[]).map((r) => ({ type: r.type, frame: r.frame }));
  }

  setStatus(id: InvocationId, status: InvocationStatus, now: number): void {
    this.#setStatus.run(status, now, id);
    this.#update(id, { status, modifiedAt: now });
  }

  /** Marks the invocation suspended, waiting for any of `awaiting` (null: for anything). */
  suspend(id: InvocationId, awaiting: AwaitedIds | null, now: number): void {
    this.#suspend.run(awaiting === null ? null : JSON.stringify(awaiting), now, id);
    this.#update(id, { status: "suspended", awaiting, modifiedAt: now });
  }

  setHoldsLock(id: InvocationId, holds: boolean, now: number): void {
    this.#setLock.run(holds ? 1 : 0, now, id);
    this.#update(id, { holdsLock: holds, modifiedAt: now });
  }

  /**
   * Binds the invocation to a deployment and protocol version (its first attempt that wrote to the
   * journal, an operator's resume or restart-as-new). The modification time stays: it rides along with
   * other changes of the same command.
   */
  pin(id: InvocationId, pin: DeploymentPin): void {
    this.#pin.run(pin.deploymentId, pin.protocolVersion, id);
    this.#update(id, { pinned: pin });
  }

  recordFailure(id: InvocationId, failure: string, status: InvocationStatus, now: number): void {
    this.#recordFailure.run(status, failure, now, id);
    const cached = this.#live.get(id);
    if (cached !== undefined) this.#update(id, { status, lastFailure: failure, retryCount: cached.retryCount + 1, modifiedAt: now });
  }

  complete(id: InvocationId, outcome: InvocationOutcome, now: number): void {
    this.#live.delete(id);
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

  /** Unfinished invocations this one called (for kill propagation). */
  listLiveChildren(id: InvocationId): InvocationId[] {
    return (this.#listChildren.all(id) as { id: string }[]).map((r) => r.id as InvocationId);
  }

  listExpired(partition: PartitionId, now: number, limit: number): InvocationId[] {
    return (this.#listExpired.all(partition, now, limit) as { id: string }[]).map((r) => r.id as InvocationId);
  }

  /** Removes the invocation and its journal. */
  delete(id: InvocationId): void {
    this.#live.delete(id);
    this.#deleteJournal.run(id);
    this.#delete.run(id);
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
    serviceType: row.service_type as ServiceType,
    handlerType: row.handler_type as HandlerType | null,
    holdsLock: row.holds_lock === 1,
    caller: row.caller_id === null ? null : { id: row.caller_id as InvocationId, completionId: row.caller_completion_id ?? 0 },
    executionTime: row.execution_time,
    retentionMs: row.retention_ms,
    expiresAt: row.expires_at,
    awaiting: row.awaiting === null ? null : (JSON.parse(row.awaiting) as AwaitedIds),
    status: row.status as InvocationStatus,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    retryCount: row.retry_count,
    lastFailure: row.last_failure,
    pinned:
      row.pinned_deployment_id === null || row.pinned_protocol_version === null
        ? null
        : { deploymentId: row.pinned_deployment_id, protocolVersion: row.pinned_protocol_version },
    journalLength: row.journal_count,
    completedAt: row.completed_at,
    outcome,
  };
}
