import type { Sequences } from "./store-context.js";

/**
 * What one batch changed, for one database call (docs/architecture.md, "The storage interface this asks
 * for"): per table, the final image of every row the batch added or changed (`upserts`) and the keys of
 * the rows it deleted (`deletes`), each as column arrays, ready for `unnest`. A key is never in both;
 * a row added and deleted again in the same batch is in neither. Columns are named after the SQLite
 * schema's (sqlite/store/partition-schema.ts), in camel case. Arrays are in the order the batch first
 * touched each row.
 */
export interface WriteSet {
  /** The leaderships the batch's commands ran under, one entry per distinct (partition, epoch). */
  readonly fences: Columns<{ readonly partition: number; readonly leaderEpoch: number }>;
  /** The counters after the batch: a mirror loaded later starts from them (`MemoryStoreOptions.sequences`). */
  readonly sequences: Sequences;
  readonly invocations: TableChanges<InvocationImage, "id">;
  /**
   * Entries appended (journals only grow). A delete names an invocation's `seq`: its whole journal goes,
   * as it goes with the invocation.
   */
  readonly journal: TableChanges<JournalImage, "invocationSeq">;
  readonly state: TableChanges<StateImage, "service" | "objectKey" | "stateKey">;
  readonly locks: TableChanges<LockImage, "service" | "objectKey">;
  readonly inbox: TableChanges<InboxImage, "seq">;
  readonly timers: TableChanges<TimerImage, "seq">;
  readonly outbox: TableChanges<OutboxImage, "seq">;
  readonly idempotency: TableChanges<IdempotencyImage, "service" | "objectKey" | "handler" | "idempotencyKey">;
  readonly workflows: TableChanges<WorkflowImage, "service" | "objectKey">;
  readonly promises: TableChanges<PromiseImage, "service" | "objectKey" | "name">;
  readonly waiters: TableChanges<WaiterImage, "seq">;
  readonly stateMutations: TableChanges<StateMutationImage, "seq">;
}

/** A table's rows as one array per column: `rows[i]` is `{ a: columns.a[i], b: columns.b[i], … }`. */
export type Columns<R> = { readonly [C in keyof R]: Array<R[C]> };

export interface TableChanges<R, K extends keyof R> {
  readonly upserts: Columns<R>;
  readonly deletes: Columns<Pick<R, K>>;
}

export interface InvocationImage {
  /** The journal's key for this invocation (journal rows sort by it: a new journal goes at the end). */
  readonly seq: number;
  readonly id: string;
  readonly partition: number;
  readonly service: string;
  readonly handler: string;
  readonly objectKey: string;
  readonly serviceType: string;
  readonly handlerType: string | null;
  readonly status: string;
  readonly idempotencyKey: string | null;
  readonly callerId: string | null;
  readonly callerCompletionId: number | null;
  readonly executionTime: number | null;
  readonly retentionMs: number | null;
  readonly expiresAt: number | null;
  /** `AwaitedIds` as JSON, as SQLite keeps it. */
  readonly awaiting: string | null;
  readonly holdsLock: boolean;
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly retryCount: number;
  readonly lastFailure: string | null;
  readonly pinnedDeploymentId: string | null;
  readonly pinnedProtocolVersion: number | null;
  /** Entries in the journal (SQLite counts them instead; a mirror loaded from rows needs no count). */
  readonly journalLength: number;
  readonly completedAt: number | null;
  readonly outputKind: "value" | "failure" | null;
  readonly output: Uint8Array | null;
  readonly failureCode: number | null;
  readonly failureMessage: string | null;
}

export interface JournalImage {
  readonly invocationSeq: number;
  readonly idx: number;
  readonly type: number;
  readonly frame: Uint8Array;
}

export interface StateImage {
  readonly service: string;
  readonly objectKey: string;
  readonly stateKey: Uint8Array;
  readonly value: Uint8Array;
}

export interface LockImage {
  readonly service: string;
  readonly objectKey: string;
  readonly invocationId: string;
}

export interface InboxImage {
  readonly seq: number;
  readonly service: string;
  readonly objectKey: string;
  /** An invocation id, or a state mutation's marker. */
  readonly invocationId: string;
}

export interface TimerImage {
  readonly seq: number;
  readonly partition: number;
  readonly fireAt: number;
  readonly invocationId: string;
  readonly kind: string;
  readonly completionId: number | null;
}

export interface OutboxImage {
  readonly seq: number;
  readonly sourcePartition: number;
  readonly targetPartition: number;
  readonly message: string;
}

export interface IdempotencyImage {
  readonly service: string;
  readonly objectKey: string;
  readonly handler: string;
  readonly idempotencyKey: string;
  readonly invocationId: string;
}

export interface WorkflowImage {
  readonly service: string;
  readonly objectKey: string;
  readonly invocationId: string;
}

export interface PromiseImage {
  readonly service: string;
  readonly objectKey: string;
  readonly name: string;
  readonly kind: "value" | "failure";
  readonly value: Uint8Array | null;
  readonly failureCode: number | null;
  readonly failureMessage: string | null;
}

export interface WaiterImage {
  readonly seq: number;
  readonly kind: string;
  readonly target: string;
  readonly waiterId: string;
  readonly completionId: number;
  readonly notificationType: number;
}

export interface StateMutationImage {
  readonly seq: number;
  readonly service: string;
  readonly objectKey: string;
  readonly expectedVersion: string | null;
  /** The new state's keys and values, in order (SQLite packs them in one blob; the database side may too). */
  readonly stateKeys: readonly Uint8Array[];
  readonly stateValues: readonly Uint8Array[];
}

/** Column arrays of `rows`, one per name in `columns` (named so that an empty table still has every column). */
export function toColumns<R>(columns: readonly (keyof R)[], rows: readonly R[]): Columns<R> {
  const out = {} as { [C in keyof R]: Array<R[C]> };
  for (const column of columns) out[column] = rows.map((row) => row[column]);
  return out;
}

/** A table's changes as column arrays: every column of the upserts, the key columns of the deletes. */
export function tableChanges<R, K extends keyof R>(
  columns: readonly (keyof R)[],
  key: readonly K[],
  changes: { readonly upserts: readonly R[]; readonly deletes: readonly R[] },
): TableChanges<R, K> {
  return { upserts: toColumns(columns, changes.upserts), deletes: toColumns<Pick<R, K>>(key, changes.deletes) };
}

/** Rows of column arrays one by one (the inverse of `toColumns`). */
export function fromColumns<R>(columns: Columns<R>): R[] {
  const names = Object.keys(columns) as Array<keyof R>;
  const count = names.length === 0 ? 0 : (columns[names[0]!] as unknown[]).length;
  const rows: R[] = [];
  for (let i = 0; i < count; i++) {
    const row = {} as { [C in keyof R]: R[C] };
    for (const name of names) row[name] = (columns[name] as Array<R[typeof name]>)[i]!;
    rows.push(row);
  }
  return rows;
}

/**
 * A partition's rows as a database holds them, in the write set's column arrays, for a mirror to load
 * (`MemoryPartitionStore.load`): the same tables and columns as the upserts of a WriteSet.
 */
export type PartitionRows = {
  readonly [T in Exclude<keyof WriteSet, "fences" | "sequences">]: WriteSet[T]["upserts"];
};

/** The row type of one of PartitionRows' tables. */
export type RowOf<T extends keyof PartitionRows> = PartitionRows[T] extends Columns<infer R> ? R : never;

/**
 * Which rows belong to a partition, for the tables whose rows do not name it (an object's rows belong to
 * the partition of its key; the store does not know the partition count). Invocations (with their
 * journals), timers and outbox messages carry their partition and need no test.
 */
export type PartitionMembership = {
  readonly [T in Exclude<keyof PartitionRows, "invocations" | "journal" | "timers" | "outbox">]: (row: RowOf<T>) => boolean;
};
