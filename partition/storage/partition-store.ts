import type { LeaderEpoch, PartitionId } from "../types.js";
import type { InvocationTable } from "./invocation-table.js";
import type { IdempotencyTable, PromiseTable, WaiterTable } from "./keyed-tables.js";
import type { LockTable, StateTable } from "./object-tables.js";
import type { OutboxTable, TimerTable } from "./schedule-tables.js";
import type { StateMutationTable } from "./state-mutation-table.js";

/**
 * All partition state behind one seam (docs/architecture.md, "Storage"): the tables the apply step reads
 * and writes, the batch that makes a group of commands durable together, and upkeep. The apply step is
 * synchronous: the tables answer from what the store holds (SQLite's pages, or a leader's in-memory
 * mirror of PostgreSQL) and see the open batch's writes at once; only `commit` waits for the disk or the
 * network. An implementation brings its schema up to date when it is opened.
 */
export interface PartitionStore {
  readonly invocations: InvocationTable;
  readonly state: StateTable;
  readonly locks: LockTable;
  readonly timers: TimerTable;
  readonly outbox: OutboxTable;
  readonly idempotency: IdempotencyTable;
  readonly promises: PromiseTable;
  readonly waiters: WaiterTable;
  readonly stateMutations: StateMutationTable;
  /**
   * Makes `partition`'s rows readable through the tables before this node leads it. A store shared by
   * several nodes keeps a leader's partitions in memory and loads one when its lease is taken; a local
   * store has them all already and resolves at once.
   */
  loadPartition(partition: PartitionId): Promise<void>;
  /** Forgets what `loadPartition` brought in, once this node no longer leads the partition. */
  dropPartition(partition: PartitionId): void;
  /** Opens the batch that the next writes belong to; one batch at a time. */
  begin(): StorageBatch;
  /** Gives space that deleted rows freed back to the system, a bounded amount per call. */
  compact(): void;
  /** Bytes the store takes (freed space included until `compact` gives it back). */
  sizeBytes(): number;
  /** Problems an integrity check finds; empty when none. */
  verify(): readonly string[];
  /** Test seam: storage failures on demand. */
  readonly faults: StorageFaults;
  /** A store shared by several nodes: messages between partitions that different nodes lead. */
  readonly shared?: SharedOutbox;
}

/** An outbox message as a shared store hands it to the leader of its target partition. */
export interface InboundMessage {
  readonly seq: number;
  readonly targetPartition: number;
  readonly message: string;
}

/**
 * Delivery between nodes (a store shared by several nodes): an outbox message belongs to its target
 * partition's leader, which applies it and deletes it in one fenced transaction (exactly once). The
 * node that wrote it only writes it.
 */
export interface SharedOutbox {
  /** Forgets an outbox row this node wrote for a partition it does not lead: that partition's leader takes it. */
  release(seq: number): void;
  /**
   * The stored messages to `partitions` (led here), brought into memory, in seq order; never those
   * this node took already.
   */
  inbound(partitions: readonly number[]): Promise<InboundMessage[]>;
  /** Calls `listener` with a target partition when some node committed a message to it; returns the stop. */
  subscribe(listener: (partition: number) => void): () => Promise<void>;
}

/** The leadership a command was applied under: a store shared by several nodes refuses a stale one. */
export interface LeadershipFence {
  readonly partition: PartitionId;
  readonly leaderEpoch: LeaderEpoch;
}

/** One group commit's writes: commands applied one by one, then made durable together. */
export interface StorageBatch {
  /**
   * Runs one command's work. Its writes stand or fall together: when `work` throws, they are undone
   * (and the tables' in-memory views dropped) and the batch goes on without them.
   */
  command<T>(fence: LeadershipFence | null, work: () => T): T;
  /**
   * Makes the batch durable. Once it resolves, every command's writes are; when it rejects, none are,
   * and the tables' in-memory views were dropped. Synchronous stores commit before it returns.
   */
  commit(): Promise<void>;
}

/** Failures a test can switch on, as a disk or a database would produce them. Each returns its undo. */
export interface StorageFaults {
  /** Writes that would grow the store fail as on a full disk. */
  fillDisk(): () => void;
  /** Every write of journal entries fails as an I/O error would. */
  failJournalWrites(): () => void;
}
