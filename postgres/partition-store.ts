import { LeaseLostError } from "../partition/lease-errors.js";
import type { PartitionId } from "../partition/index.js";
import type { InboundMessage, LeadershipFence, PartitionStore, SharedOutbox, StorageBatch, StorageFaults } from "../partition/storage/partition-store.js";
import { MemoryPartitionStore, PersistFailedError, type PartitionRows, type WriteSet } from "../partition/storage/memory/index.js";
import type { PostgresDatabase } from "./connect.js";
import { applyPgMigrations } from "./migrations.js";
import { RowPartitions } from "./partition-rows.js";
import { PARTITION_PG_MIGRATIONS, SEQ_BLOCK } from "./partition-schema.js";
import { OUTBOX_CHANNEL } from "./partition-apply.js";
import { partitionSink } from "./partition-sink.js";
import { loadSql, PARTITION_TABLES, toLoaded } from "./partition-tables.js";

const LOADS = PARTITION_TABLES.map((t) => ({ t, sql: loadSql(t) }));

/**
 * How long this node remembers a message it took (deleted in a commit): a read of the outbox that began
 * before that commit may still return it, and must not bring it back. Far above a statement's timeout.
 */
const TAKEN_MEMORY_MS = 60_000;

/**
 * The partition store of a cluster node (docs/architecture.md, "PostgreSQL: the decision"): the
 * partitions this node leads, held in a MemoryPartitionStore (the mirror the apply step reads and
 * writes synchronously), whose batches persist as one fenced PostgreSQL transaction (partition-sink.ts).
 *
 * `loadPartition` reads all of a partition's rows into the mirror. That bounds a takeover by what a
 * partition holds, completed invocations and object state included; the next step loads only what is
 * bounded by the work in flight (unfinished invocations, locks, inboxes, timers, outbox) at takeover and
 * the rest on demand (docs/architecture.md, "The storage interface this asks for").
 *
 * New rows are numbered from blocks of one PostgreSQL sequence (SEQ_BLOCK numbers each): unique across
 * nodes, and a block taken later lies above every number handed out before it. So when a loaded
 * partition holds a number at or above this node's block (another node numbered rows after this node's
 * block was taken), the node moves to a fresh block: the partition's new rows then sort after its old
 * ones (inbox order per key, timers, waiters, outbox).
 */
export class PgPartitionStore implements PartitionStore {
  readonly #db: PostgresDatabase;
  readonly #partitions: RowPartitions;
  readonly #mirror: MemoryPartitionStore;
  #blockStart: number;
  /** Partitions to forget once the open batch has committed. */
  readonly #dropLater = new Set<number>();
  /** Mirror changes that must wait until no batch is open or committing (messages released, brought in). */
  readonly #betweenBatches: Array<() => void> = [];
  /** Messages this node deleted, by seq, with when (see TAKEN_MEMORY_MS). */
  readonly #taken = new Map<number, number>();
  #batchOpen = false;

  private constructor(db: PostgresDatabase, partitions: RowPartitions, blockStart: number) {
    this.#db = db;
    this.#partitions = partitions;
    this.#blockStart = blockStart;
    const sink = partitionSink(db, partitions);
    this.#mirror = new MemoryPartitionStore({ persist: (changes) => this.#persist(sink, changes), sequences: sequencesFrom(blockStart) });
  }

  /** Brings the partition tables up to date (safe when several nodes start at once) and takes a block of numbers. */
  static async open(db: PostgresDatabase, partitionCount: number): Promise<PgPartitionStore> {
    await applyPgMigrations(db, "partition", PARTITION_PG_MIGRATIONS);
    return new PgPartitionStore(db, new RowPartitions(partitionCount), await takeBlock(db));
  }

  get invocations() { return this.#mirror.invocations; }
  get state() { return this.#mirror.state; }
  get locks() { return this.#mirror.locks; }
  get timers() { return this.#mirror.timers; }
  get outbox() { return this.#mirror.outbox; }
  get idempotency() { return this.#mirror.idempotency; }
  get promises() { return this.#mirror.promises; }
  get waiters() { return this.#mirror.waiters; }
  get stateMutations() { return this.#mirror.stateMutations; }
  get faults(): StorageFaults { return this.#mirror.faults; }

  /** Reads every row of `partition` in one consistent snapshot and puts it into the mirror. */
  async loadPartition(partition: PartitionId): Promise<void> {
    // Dropped while a batch was open (stepped down mid-commit) and led again at once: the drop happens
    // first, when that batch settles. Loaded over the old rows, journals would be doubled.
    if (this.#dropLater.has(partition)) await new Promise<void>((resolve) => this.#whenNoBatch(resolve));
    const loaded = await this.#db.transaction(async (client) => {
      await client.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      const rows: Record<string, unknown> = {};
      for (const { t, sql } of LOADS) rows[t.name] = toLoaded(t, (await client.query({ name: `stet_load_${t.table}`, text: sql, values: [partition] })).rows);
      return rows as unknown as PartitionRows;
    });
    const highest = Math.max(0, ...(["invocations", "inbox", "timers", "outbox", "waiters", "stateMutations"] as const).map((t) => maxOf(loaded[t].seq)));
    if (highest >= this.#blockStart) await this.#freshBlock();
    this.#mirror.load(loaded);
  }

  /** Forgets `partition`'s rows; while a batch is open or committing, once it has committed. */
  dropPartition(partition: PartitionId): void {
    if (this.#batchOpen) this.#dropLater.add(partition);
    else this.#mirror.forget(partition, this.#partitions.membership(partition));
  }

  begin(): StorageBatch {
    const batch = this.#mirror.begin();
    this.#batchOpen = true;
    return {
      command: <T>(fence: LeadershipFence | null, work: () => T): T => batch.command(fence, work),
      commit: () => {
        const committed = batch.commit();
        const settled = () => {
          this.#batchOpen = false;
          for (const partition of this.#dropLater) this.#mirror.forget(partition, this.#partitions.membership(partition));
          this.#dropLater.clear();
          for (const change of this.#betweenBatches.splice(0)) change();
        };
        // The partition set steps a partition down on LeaseLostError itself, not on its wrapper.
        return committed.then(settled, (error: unknown) => {
          settled();
          throw error instanceof PersistFailedError && error.cause instanceof LeaseLostError ? error.cause : error;
        });
      },
    };
  }

  /** PostgreSQL gives space back with (auto)vacuum, not on the node's request. */
  compact(): void {}

  /** What the mirror holds in memory (the database's size is the operator's to watch). */
  sizeBytes(): number {
    return this.#mirror.sizeBytes();
  }

  verify(): readonly string[] {
    return this.#mirror.verify();
  }

  readonly shared: SharedOutbox = {
    release: (seq) => this.#whenNoBatch(() => this.#mirror.outbox.release(seq)),
    inbound: (partitions) => this.#inbound(partitions),
    subscribe: (listener) =>
      this.#db.listen(OUTBOX_CHANNEL, (payload) => {
        const partition = Number(payload);
        if (Number.isSafeInteger(partition)) listener(partition);
      }),
  };

  /**
   * Reads the messages to `partitions` from the database and brings those not in memory in, except the
   * ones this node took: a message is applied by the leader that deletes it, in the same transaction.
   */
  async #inbound(partitions: readonly number[]): Promise<InboundMessage[]> {
    if (partitions.length === 0) return [];
    const result = await this.#db.query<{ seq: number; sourcePartition: number; targetPartition: number; message: string }>(
      {
        name: "stet_inbound",
        text: `SELECT seq::float8 AS seq, source_partition AS "sourcePartition", target_partition AS "targetPartition", message
                 FROM outbox WHERE target_partition = ANY ($1::integer[]) ORDER BY seq`,
      },
      [partitions],
    );
    return new Promise((resolve) =>
      this.#whenNoBatch(() => {
        const now = Date.now();
        for (const [seq, at] of this.#taken) if (now - at > TAKEN_MEMORY_MS) this.#taken.delete(seq);
        // In memory already (loaded with its partition): to deliver. Not in memory: brought in, unless
        // this node took it (the read began before that delete committed).
        const rows = result.rows.filter((row) => this.#mirror.outbox.has(row.seq) || !this.#taken.has(row.seq));
        for (const row of rows) if (!this.#mirror.outbox.has(row.seq)) this.#mirror.outbox.loadRow(row);
        resolve(rows);
      }),
    );
  }

  /** Runs `change` of the mirror now, or once the open batch has settled. */
  #whenNoBatch(change: () => void): void {
    if (this.#batchOpen) this.#betweenBatches.push(change);
    else change();
  }

  async #persist(sink: (changes: WriteSet) => Promise<void>, changes: WriteSet): Promise<void> {
    // Before the commit: a read of the outbox answered from here on must not bring these back.
    const at = Date.now();
    const taken = changes.outbox.deletes.seq;
    for (const seq of taken) this.#taken.set(seq, at);
    try {
      await sink(changes);
    } catch (error) {
      // Not deleted after all (the mirror rolls back; a refused batch's rows are read again).
      for (const seq of taken) this.#taken.delete(seq);
      throw error;
    }
    // Far from the block's end still (2^31 numbers left): move on before it could run out.
    if (Math.max(...Object.values(changes.sequences)) - this.#blockStart > SEQ_BLOCK / 2) await this.#freshBlock();
  }

  async #freshBlock(): Promise<void> {
    this.#blockStart = await takeBlock(this.#db);
    this.#mirror.advanceSequences(this.#blockStart);
  }
}

async function takeBlock(db: PostgresDatabase): Promise<number> {
  const result = await db.query<{ start: number }>("SELECT nextval('partition_seq_blocks')::float8 AS start");
  return result.rows[0]!.start;
}

function sequencesFrom(start: number) {
  return { invocation: start, inbox: start, timer: start, outbox: start, waiter: start, stateMutation: start };
}

function maxOf(values: readonly number[] | undefined): number {
  let max = 0;
  for (const v of values ?? []) if (v > max) max = v;
  return max;
}
