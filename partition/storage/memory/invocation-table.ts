import type { DeploymentPin } from "../../../invoker/index.js";
import type { AwaitedIds, InvocationId } from "../../../protocol/index.js";
import type { InvocationOutcome, InvocationRecord, InvocationStatus, JournalEntry, PartitionId } from "../../types.js";
import { newInvocationRecord, type InvocationTable, type NewInvocationRow } from "../invocation-table.js";
import { StorageConstraintError } from "./errors.js";
import { MemoryJournals } from "./journals.js";
import { OrderedGroups, RowMap, type TablePart } from "./row-map.js";
import { copyBytes, rowBytes } from "./row-keys.js";
import { byString } from "./sorted-list.js";
import type { StoreContext } from "./store-context.js";
import { fromColumns, tableChanges, type Columns, type InvocationImage, type JournalImage, type TableChanges } from "./write-set.js";

/** A stored invocation: its record as `get` returns it (replaced, never changed, on each write) and its journal's key. */
interface InvocationRow {
  readonly seq: number;
  readonly record: InvocationRecord;
}

const INVOCATION_COLUMNS: readonly (keyof InvocationImage)[] = [
  "seq", "id", "partition", "service", "handler", "objectKey", "serviceType", "handlerType", "status", "idempotencyKey",
  "callerId", "callerCompletionId", "executionTime", "retentionMs", "expiresAt", "awaiting", "holdsLock", "createdAt",
  "modifiedAt", "retryCount", "lastFailure", "pinnedDeploymentId", "pinnedProtocolVersion", "journalLength",
  "completedAt", "outputKind", "output", "failureCode", "failureMessage",
];

/**
 * Invocation rows and their journals, with what SQLite's indexes give it: each partition's unfinished
 * invocations (oldest first, then by id), its expiry order, and each caller's unfinished children.
 * Entries of the ordered indexes carry what they sort by and the id.
 */
export class MemoryInvocationTable implements InvocationTable, TablePart {
  readonly #unfinished = new OrderedGroups<InvocationRow, number, readonly [createdAt: number, id: string]>(
    "unfinished invocations",
    (row) => (row.record.status === "completed" ? undefined : [row.record.partition, [row.record.createdAt, row.record.id]]),
    (a, b) => a[0] - b[0] || byString(a[1], b[1]),
  );
  readonly #expiry = new OrderedGroups<InvocationRow, number, readonly [expiresAt: number, seq: number, id: InvocationId]>(
    "invocations by expiry",
    (row) => (row.record.expiresAt === null ? undefined : [row.record.partition, [row.record.expiresAt, row.seq, row.record.id]]),
    (a, b) => a[0] - b[0] || a[1] - b[1],
  );
  readonly #children = new OrderedGroups<InvocationRow, string, readonly [seq: number, id: InvocationId]>(
    "live children by caller",
    (row) => (row.record.caller === null || row.record.status === "completed" ? undefined : [row.record.caller.id, [row.seq, row.record.id]]),
    (a, b) => a[0] - b[0],
  );
  readonly #rows: RowMap<string, InvocationRow>;
  readonly #journals: MemoryJournals;

  constructor(private readonly context: StoreContext) {
    this.#rows = new RowMap(context, "invocations", invocationBytes, [this.#unfinished, this.#expiry, this.#children]);
    this.#journals = new MemoryJournals(context);
  }

  insert(row: NewInvocationRow): void {
    if (this.#rows.get(row.id) !== undefined) throw new StorageConstraintError("invocations", `invocation ${row.id} exists already`);
    const seq = this.context.nextSeq("invocation");
    this.#rows.insert(row.id, { seq, record: newInvocationRecord(row) });
  }

  get(id: string): InvocationRecord | undefined {
    return this.#rows.get(id)?.record;
  }

  /** Nothing to forget: the rows in memory are the store. */
  invalidate(): void {}

  /**
   * The modification time moves on with each append, as SQLite's in-memory row has it (SQLite's file
   * keeps the old one: its appends do not rewrite the row), so a mirror and what it persists agree.
   */
  append(id: InvocationId, startIndex: number, entries: readonly JournalEntry[], now: number): number {
    const row = this.#rows.get(id);
    if (entries.length === 0) {
      this.#update(id, { modifiedAt: now });
      return startIndex;
    }
    if (row === undefined) throw new StorageConstraintError("journal", `no invocation ${id} to append to`);
    const length = this.#journals.append(row.seq, startIndex, entries);
    this.#update(id, { journalLength: length, modifiedAt: now });
    return length;
  }

  readJournalFrom(id: InvocationId, from: number): JournalEntry[] {
    const row = this.#rows.get(id);
    return row === undefined ? [] : this.#journals.read(row.seq, from);
  }

  readJournal(id: InvocationId): JournalEntry[] {
    return this.readJournalFrom(id, 0);
  }

  setStatus(id: InvocationId, status: InvocationStatus, now: number): void {
    this.#update(id, { status, modifiedAt: now });
  }

  suspend(id: InvocationId, awaiting: AwaitedIds | null, now: number): void {
    this.#update(id, { status: "suspended", awaiting, modifiedAt: now });
  }

  setHoldsLock(id: InvocationId, holds: boolean, now: number): void {
    this.#update(id, { holdsLock: holds, modifiedAt: now });
  }

  pin(id: InvocationId, pin: DeploymentPin): void {
    this.#update(id, { pinned: { deploymentId: pin.deploymentId, protocolVersion: pin.protocolVersion } });
  }

  recordFailure(id: InvocationId, failure: string, status: InvocationStatus, now: number): void {
    const record = this.get(id);
    if (record !== undefined) this.#update(id, { status, lastFailure: failure, retryCount: record.retryCount + 1, modifiedAt: now });
  }

  complete(id: InvocationId, outcome: InvocationOutcome, now: number): void {
    const record = this.get(id);
    if (record === undefined) return;
    this.#update(id, {
      status: "completed",
      completedAt: now,
      modifiedAt: now,
      holdsLock: false,
      outcome: outcome.kind === "value" ? { kind: "value", value: copyBytes(outcome.value) } : { kind: "failure", code: outcome.code, message: outcome.message },
      expiresAt: record.retentionMs === null ? null : now + record.retentionMs,
    });
  }

  listUnfinished(partition: PartitionId): InvocationRecord[] {
    return this.#unfinished.list(partition).map(([, id]) => this.#rows.get(id)!.record);
  }

  listLiveChildren(id: InvocationId): InvocationId[] {
    return this.#children.list(id).map(([, child]) => child);
  }

  listExpired(partition: PartitionId, now: number, limit: number): InvocationId[] {
    const expired: InvocationId[] = [];
    for (const [expiresAt, , id] of this.#expiry.entries(partition)) {
      if (expiresAt > now || expired.length >= limit) break;
      expired.push(id);
    }
    return expired;
  }

  delete(id: InvocationId): void {
    const row = this.#rows.delete(id);
    if (row !== undefined) this.#journals.drop(row.seq);
  }

  /** Puts invocations and journal entries persisted earlier (a partition's load); entries in index order per journal. */
  load(images: Columns<InvocationImage>, journal: Columns<JournalImage>): void {
    for (const image of fromColumns(images)) this.#rows.load(image.id, { seq: image.seq, record: recordOf(image) });
    for (const entry of fromColumns(journal)) this.#journals.load(entry.invocationSeq, [entry]);
  }

  /** Forgets the invocations of `partition` and their journals (not deleted from the database). */
  forget(partition: number): void {
    for (const row of this.#rows.forget((row) => row.record.partition === partition)) this.#journals.forget(row.seq);
  }

  get bytes(): number {
    return this.#rows.bytes + this.#journals.bytes;
  }

  committed(): void {
    this.#rows.committed();
    this.#journals.committed();
  }

  verify(): string[] {
    const problems = this.#rows.verify();
    const seqs = new Set<number>();
    for (const { seq, record } of this.#rows.values()) {
      seqs.add(seq);
      const length = this.#journals.length(seq);
      if (length !== record.journalLength) problems.push(`invocations: ${record.id} has ${length} journal entries, its row says ${record.journalLength}`);
    }
    if (seqs.size !== this.#rows.count) problems.push(`invocations: ${this.#rows.count} rows share ${seqs.size} seqs`);
    return [...problems, ...this.#journals.verify(seqs)];
  }

  get parts(): readonly TablePart[] {
    return [this];
  }

  changes(): TableChanges<InvocationImage, "id"> {
    const { upserts, deletes } = this.#rows.changes();
    return tableChanges(INVOCATION_COLUMNS, ["id"], { upserts: upserts.map(imageOf), deletes: deletes.map(imageOf) });
  }

  journalChanges(): TableChanges<JournalImage, "invocationSeq"> {
    return this.#journals.changes();
  }

  /** Writes `change` over the invocation's record; nothing when there is no such invocation (as an UPDATE). */
  #update(id: InvocationId, change: Partial<InvocationRecord>): void {
    const row = this.#rows.get(id);
    if (row !== undefined) this.#rows.put(id, { seq: row.seq, record: { ...row.record, ...change } });
  }
}

function invocationBytes({ record }: InvocationRow): number {
  const outcome = record.outcome;
  return rowBytes(
    record.id,
    record.target.service,
    record.target.handler,
    record.target.key,
    record.idempotencyKey,
    record.lastFailure,
    outcome === null ? null : outcome.kind === "value" ? outcome.value : outcome.message,
  );
}

/** The row as the database keeps it (write-set.ts). */
function imageOf({ seq, record }: InvocationRow): InvocationImage {
  const outcome = record.outcome;
  return {
    seq,
    id: record.id,
    partition: record.partition,
    service: record.target.service,
    handler: record.target.handler,
    objectKey: record.target.key,
    serviceType: record.serviceType,
    handlerType: record.handlerType,
    status: record.status,
    idempotencyKey: record.idempotencyKey,
    callerId: record.caller?.id ?? null,
    callerCompletionId: record.caller?.completionId ?? null,
    executionTime: record.executionTime,
    retentionMs: record.retentionMs,
    expiresAt: record.expiresAt,
    awaiting: record.awaiting === null ? null : JSON.stringify(record.awaiting),
    holdsLock: record.holdsLock,
    createdAt: record.createdAt,
    modifiedAt: record.modifiedAt,
    retryCount: record.retryCount,
    lastFailure: record.lastFailure,
    pinnedDeploymentId: record.pinned?.deploymentId ?? null,
    pinnedProtocolVersion: record.pinned?.protocolVersion ?? null,
    journalLength: record.journalLength,
    completedAt: record.completedAt,
    outputKind: outcome?.kind ?? null,
    output: outcome?.kind === "value" ? outcome.value : null,
    failureCode: outcome?.kind === "failure" ? outcome.code : null,
    failureMessage: outcome?.kind === "failure" ? outcome.message : null,
  };
}

/** The record of a row as the database keeps it (the inverse of `imageOf`). */
function recordOf(image: InvocationImage): InvocationRecord {
  const outcome: InvocationOutcome | null =
    image.outputKind === "value"
      ? { kind: "value", value: copyBytes(image.output ?? new Uint8Array()) }
      : image.outputKind === "failure"
        ? { kind: "failure", code: image.failureCode ?? 500, message: image.failureMessage ?? "" }
        : null;
  return {
    id: image.id as InvocationId,
    partition: image.partition as PartitionId,
    target: { service: image.service, handler: image.handler, key: image.objectKey },
    serviceType: image.serviceType as InvocationRecord["serviceType"],
    handlerType: image.handlerType as InvocationRecord["handlerType"],
    holdsLock: image.holdsLock,
    caller: image.callerId === null ? null : { id: image.callerId as InvocationId, completionId: image.callerCompletionId ?? 0 },
    executionTime: image.executionTime,
    retentionMs: image.retentionMs,
    expiresAt: image.expiresAt,
    awaiting: image.awaiting === null ? null : (JSON.parse(image.awaiting) as AwaitedIds),
    status: image.status as InvocationStatus,
    idempotencyKey: image.idempotencyKey,
    createdAt: image.createdAt,
    modifiedAt: image.modifiedAt,
    retryCount: image.retryCount,
    lastFailure: image.lastFailure,
    pinned:
      image.pinnedDeploymentId === null ? null : { deploymentId: image.pinnedDeploymentId, protocolVersion: image.pinnedProtocolVersion ?? 0 },
    journalLength: image.journalLength,
    completedAt: image.completedAt,
    outcome,
  };
}
