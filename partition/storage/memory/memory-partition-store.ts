import type { LeadershipFence, PartitionStore, StorageBatch, StorageFaults } from "../partition-store.js";
import type { PartitionId } from "../../types.js";
import { BatchMisuseError, PersistFailedError, StoreBusyError } from "./errors.js";
import { MemoryInvocationTable } from "./invocation-table.js";
import { MemoryIdempotencyTable, MemoryPromiseTable, MemoryWaiterTable } from "./keyed-tables.js";
import { MemoryLockTable, MemoryStateTable } from "./object-tables.js";
import type { TablePart } from "./row-map.js";
import { MemoryOutboxTable, MemoryTimerTable } from "./schedule-tables.js";
import { MemoryStateMutationTable } from "./state-mutation-table.js";
import { StoreContext, type Sequences } from "./store-context.js";
import type { PartitionMembership, PartitionRows, WriteSet } from "./write-set.js";

export interface MemoryStoreOptions {
  /**
   * Makes a batch durable: `commit()` hands it the batch's write set and resolves when it resolves. When
   * it rejects, the store goes back to what the last successful commit left, and `commit()` rejects with
   * PersistFailedError. Without it, a commit resolves at once (a store that lives in memory only).
   */
  readonly persist?: (changes: WriteSet) => Promise<void>;
  /** The next number of each sequence, for a mirror of rows persisted earlier (`WriteSet.sequences`); 1 by default. */
  readonly sequences?: Partial<Sequences>;
}

/**
 * All partition state in memory, with the semantics of the SQLite store (sqlite/store/), for a leader's
 * mirror of PostgreSQL (docs/architecture.md, "The storage interface this asks for") and for tests.
 *
 * Every write is recorded twice: in an undo log (a command's savepoint is a mark in it; a throwing
 * command is undone back to its mark) and as the image its row had at the last commit, from which
 * `commit()` builds the write set: the final image of each row the batch changed.
 *
 * A write outside any batch takes effect at once and joins the next batch's write set (SQLite would
 * commit it on its own; the group commit never writes outside a batch, tests do). While a commit is in
 * flight, nothing may write or begin (StoreBusyError); reads go on. When the sink rejects, the store is
 * rolled back to the last successful commit: right when the database refused the whole transaction (a
 * fence, a constraint); when the sink cannot tell whether its transaction committed (a connection lost
 * during COMMIT), its owner must drop this store and load a new one, as it knows and the store cannot.
 *
 * Each table keeps the indexes its reads need (row-map.ts), so a read costs O(log n) plus what it
 * returns. Where it parts from SQLite, on purpose: a journal append must start at the journal's length
 * (SQLite would take a gap); `fillDisk` refuses exactly the writes that add a row, and only their
 * command (SQLite refuses what needs a new page, and rolls its whole transaction back); an append moves
 * the invocation's `modifiedAt` in what is persisted too (invocation-table.ts).
 */
export class MemoryPartitionStore implements PartitionStore {
  readonly invocations: MemoryInvocationTable;
  readonly state: MemoryStateTable;
  readonly locks: MemoryLockTable;
  readonly timers: MemoryTimerTable;
  readonly outbox: MemoryOutboxTable;
  readonly idempotency: MemoryIdempotencyTable;
  readonly promises: MemoryPromiseTable;
  readonly waiters: MemoryWaiterTable;
  readonly stateMutations: MemoryStateMutationTable;
  readonly faults: StorageFaults;
  readonly #context: StoreContext;
  readonly #persist: MemoryStoreOptions["persist"];
  readonly #parts: readonly TablePart[];
  #open: MemoryBatch | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    const context = new StoreContext(options.sequences);
    this.#context = context;
    this.#persist = options.persist;
    this.invocations = new MemoryInvocationTable(context);
    this.state = new MemoryStateTable(context);
    this.locks = new MemoryLockTable(context);
    this.timers = new MemoryTimerTable(context);
    this.outbox = new MemoryOutboxTable(context);
    this.idempotency = new MemoryIdempotencyTable(context);
    this.promises = new MemoryPromiseTable(context);
    this.waiters = new MemoryWaiterTable(context);
    this.stateMutations = new MemoryStateMutationTable(context);
    this.#parts = [this.invocations, this.state, this.locks, this.timers, this.outbox, this.idempotency, this.promises, this.waiters, this.stateMutations].flatMap(
      (table) => table.parts,
    );
    this.faults = {
      fillDisk: () => switchOn(() => (context.full = true), () => (context.full = false)),
      failJournalWrites: () => switchOn(() => (context.journalFails = true), () => (context.journalFails = false)),
    };
  }

  begin(): StorageBatch {
    if (this.#context.committing) throw new StoreBusyError("begin");
    if (this.#open !== undefined) throw new BatchMisuseError("a batch is open already: commit it before beginning another");
    const batch = new MemoryBatch(this.#context, (fences) => this.#commit(batch, fences));
    this.#open = batch;
    return batch;
  }

  /** Every partition's rows are here already. */
  loadPartition(_partition: PartitionId): Promise<void> {
    return Promise.resolve();
  }

  dropPartition(_partition: PartitionId): void {}

  /** Nothing to give back: deleted rows are gone from memory at once. */
  compact(): void {}

  /**
   * Puts rows persisted earlier into the store (a PostgreSQL leader loading a partition it takes over):
   * readable at once, and not part of any write set. Allowed while a batch is open or a commit is in
   * flight: they are another partition's rows, which no command of that batch touched.
   */
  load(rows: PartitionRows): void {
    this.invocations.load(rows.invocations, rows.journal);
    this.state.load(rows.state);
    this.locks.load(rows.locks, rows.inbox);
    this.timers.load(rows.timers);
    this.outbox.load(rows.outbox);
    this.idempotency.load(rows.idempotency, rows.workflows);
    this.promises.load(rows.promises);
    this.waiters.load(rows.waiters);
    this.stateMutations.load(rows.stateMutations);
  }

  /**
   * Forgets `partition`'s rows (its node no longer leads it) without deleting them from the database.
   * Only between batches (BatchMisuseError otherwise): an open batch's changes of those rows could not
   * be undone any more.
   */
  forget(partition: number, belongs: PartitionMembership): void {
    if (this.#open !== undefined || this.#context.committing || this.#context.mark() > 0) {
      throw new BatchMisuseError("a partition can be forgotten only between batches");
    }
    this.invocations.forget(partition);
    this.state.forget(belongs.state);
    this.locks.forget(belongs.locks, belongs.inbox);
    this.timers.forget(partition);
    this.outbox.forget(partition);
    this.idempotency.forget(belongs.idempotency, belongs.workflows);
    this.promises.forget(belongs.promises);
    this.waiters.forget(belongs.waiters);
    this.stateMutations.forget(belongs.stateMutations);
  }

  /** Moves every sequence up to at least `min`: numbers handed out from now on are `min` or above. */
  advanceSequences(min: number): void {
    this.#context.advance(min);
  }

  /** An estimate of what the rows and journals take in memory (strings as UTF-16, a fixed cost per row). */
  sizeBytes(): number {
    return this.#parts.reduce((sum, part) => sum + part.bytes, 0);
  }

  /** Where an index disagrees with its rows (or a size estimate with what it sums up); empty when none do. */
  verify(): readonly string[] {
    return this.#parts.flatMap((part) => part.verify());
  }

  /** The changes since the last commit, without committing them (what `commit()` would hand over). */
  pendingWriteSet(fences: readonly LeadershipFence[] = []): WriteSet {
    return {
      fences: { partition: fences.map((f) => f.partition), leaderEpoch: fences.map((f) => f.leaderEpoch) },
      sequences: this.#context.sequences(),
      invocations: this.invocations.changes(),
      journal: this.invocations.journalChanges(),
      state: this.state.changes(),
      locks: this.locks.lockChanges(),
      inbox: this.locks.inboxChanges(),
      timers: this.timers.changes(),
      outbox: this.outbox.changes(),
      idempotency: this.idempotency.keyChanges(),
      workflows: this.idempotency.runChanges(),
      promises: this.promises.changes(),
      waiters: this.waiters.changes(),
      stateMutations: this.stateMutations.changes(),
    };
  }

  #commit(batch: MemoryBatch, fences: readonly LeadershipFence[]): Promise<void> {
    if (this.#open === batch) this.#open = undefined;
    const persist = this.#persist;
    if (persist === undefined) {
      this.#committed();
      return Promise.resolve();
    }
    const changes = this.pendingWriteSet(fences);
    this.#context.committing = true;
    let persisted: Promise<void>;
    try {
      persisted = persist(changes);
    } catch (error) {
      persisted = Promise.reject(error);
    }
    return persisted.then(
      () => {
        this.#context.committing = false;
        this.#committed();
      },
      (error: unknown) => {
        this.#context.committing = false;
        this.#context.rollbackTo(0);
        throw new PersistFailedError(error);
      },
    );
  }

  #committed(): void {
    this.#context.committed();
    for (const part of this.#parts) part.committed();
  }
}

/** One batch: commands in order, each undone alone when it throws, then one commit. */
class MemoryBatch implements StorageBatch {
  #committed = false;
  readonly #fences = new Map<string, LeadershipFence>();

  constructor(
    private readonly context: StoreContext,
    private readonly commitWith: (fences: readonly LeadershipFence[]) => Promise<void>,
  ) {}

  command<T>(fence: LeadershipFence | null, work: () => T): T {
    if (this.#committed) throw new BatchMisuseError("this batch was committed: begin a new one");
    const savepoint = this.context.mark();
    let result: T;
    try {
      result = work();
    } catch (error) {
      this.context.rollbackTo(savepoint);
      throw error;
    }
    if (fence !== null) this.#fences.set(`${fence.partition}:${fence.leaderEpoch}`, fence);
    return result;
  }

  commit(): Promise<void> {
    if (this.#committed) return Promise.reject(new BatchMisuseError("this batch was committed already"));
    this.#committed = true;
    return this.commitWith([...this.#fences.values()]);
  }
}

/** Turns a fault on; the returned undo turns it off. */
function switchOn(on: () => void, off: () => void): () => void {
  on();
  return () => void off();
}
