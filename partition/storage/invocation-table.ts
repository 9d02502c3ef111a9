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
} from "../types.js";

export interface NewInvocationRow {
  readonly id: InvocationId;
  readonly partition: PartitionId;
  readonly target: InvocationTarget;
  readonly serviceType: ServiceType;
  readonly handlerType: HandlerType | null;
  readonly status: InvocationStatus;
  readonly idempotencyKey: string | null;
  readonly caller: { readonly id: InvocationId; readonly completionId: number } | null;
  readonly executionTime: number | null;
  readonly retentionMs: number | null;
  readonly now: number;
}

/**
 * Invocation rows and their journals. Writes take effect in the open batch (`PartitionStore.begin`);
 * reads see them at once.
 */
export interface InvocationTable {
  insert(row: NewInvocationRow): void;
  get(id: string): InvocationRecord | undefined;
  /** Forgets what the table keeps in memory; the next reads come from storage. */
  invalidate(): void;
  /** Appends entries at `startIndex` (the current journal length); returns the new length. */
  append(id: InvocationId, startIndex: number, entries: readonly JournalEntry[], now: number): number;
  /** Journal entries from index `from` on. */
  readJournalFrom(id: InvocationId, from: number): JournalEntry[];
  readJournal(id: InvocationId): JournalEntry[];
  setStatus(id: InvocationId, status: InvocationStatus, now: number): void;
  /** Marks the invocation suspended, waiting for any of `awaiting` (null: for anything). */
  suspend(id: InvocationId, awaiting: AwaitedIds | null, now: number): void;
  setHoldsLock(id: InvocationId, holds: boolean, now: number): void;
  /** Binds the invocation to a deployment and protocol version; the modification time stays. */
  pin(id: InvocationId, pin: DeploymentPin): void;
  /** Records a failed attempt: the retry count goes up by one. */
  recordFailure(id: InvocationId, failure: string, status: InvocationStatus, now: number): void;
  complete(id: InvocationId, outcome: InvocationOutcome, now: number): void;
  listUnfinished(partition: PartitionId): InvocationRecord[];
  /** Unfinished invocations this one called (for kill propagation). */
  listLiveChildren(id: InvocationId): InvocationId[];
  /** Completed invocations of `partition` past their retention at `now`, at most `limit`. */
  listExpired(partition: PartitionId, now: number, limit: number): InvocationId[];
  /** Removes the invocation and its journal. */
  delete(id: InvocationId): void;
}

/**
 * The record a new row is: what `get` answers right after `insert`, in every implementation (the
 * memory store builds its rows with it; SQLite's table spells the same out beside its INSERT).
 */
export function newInvocationRecord(row: NewInvocationRow): InvocationRecord {
  return {
    id: row.id,
    partition: row.partition,
    target: row.target,
    serviceType: row.serviceType,
    handlerType: row.handlerType,
    holdsLock: false,
    caller: row.caller,
    executionTime: row.executionTime,
    retentionMs: row.retentionMs,
    expiresAt: null,
    awaiting: null,
    status: row.status,
    idempotencyKey: row.idempotencyKey,
    createdAt: row.now,
    modifiedAt: row.now,
    retryCount: 0,
    lastFailure: null,
    pinned: null,
    journalLength: 0,
    completedAt: null,
    outcome: null,
  };
}
