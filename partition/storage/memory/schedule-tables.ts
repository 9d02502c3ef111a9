import type { InvocationId } from "../../../protocol/index.js";
import type { DueTimer, OutboxRow, OutboxTable, TimerKind, TimerTable } from "../schedule-tables.js";
import { OrderedGroups, RowMap, type TablePart } from "./row-map.js";
import { rowBytes } from "./row-keys.js";
import { byNumber, byNumberPair } from "./sorted-list.js";
import type { StoreContext } from "./store-context.js";
import { fromColumns, tableChanges, type Columns, type OutboxImage, type TableChanges, type TimerImage } from "./write-set.js";

/** Sleeps and delayed starts; each partition's by due time, then by the order they were added. */
export class MemoryTimerTable implements TimerTable {
  readonly #due = new OrderedGroups<TimerImage, number, readonly [number, number]>(
    "timers by partition",
    (row) => [row.partition, [row.fireAt, row.seq]],
    byNumberPair,
  );
  readonly #byInvocation = new OrderedGroups<TimerImage, string, number>("timers by invocation", (row) => [row.invocationId, row.seq], byNumber);
  readonly #rows: RowMap<number, TimerImage>;

  constructor(private readonly context: StoreContext) {
    this.#rows = new RowMap(context, "timers", (r) => rowBytes(r.invocationId, r.kind), [this.#due, this.#byInvocation]);
  }

  add(partition: number, fireAt: number, id: InvocationId, kind: TimerKind, completionId: number | null): void {
    const seq = this.context.nextSeq("timer");
    this.#rows.insert(seq, { seq, partition, fireAt, invocationId: id, kind, completionId });
  }

  due(partition: number, now: number, limit: number): DueTimer[] {
    const due: DueTimer[] = [];
    for (const [fireAt, seq] of this.#due.entries(partition)) {
      if (fireAt > now || due.length >= limit) break;
      const row = this.#rows.get(seq)!;
      due.push({ seq, invocationId: row.invocationId as InvocationId, kind: row.kind as TimerKind, completionId: row.completionId, fireAt });
    }
    return due;
  }

  delete(seq: number): void {
    this.#rows.delete(seq);
  }

  deleteFor(id: InvocationId): void {
    for (const seq of this.#byInvocation.list(id)) this.#rows.delete(seq);
  }

  count(): number {
    return this.#rows.count;
  }

  earliest(partition: number): number | undefined {
    return this.#due.first(partition)?.[0];
  }

  get parts(): readonly TablePart[] {
    return [this.#rows];
  }

  load(rows: Columns<TimerImage>): void {
    for (const r of fromColumns(rows)) this.#rows.load(r.seq, r);
  }

  forget(partition: number): void {
    this.#rows.forget((row) => row.partition === partition);
  }

  changes(): TableChanges<TimerImage, "seq"> {
    return tableChanges(["seq", "partition", "fireAt", "invocationId", "kind", "completionId"], ["seq"], this.#rows.changes());
  }
}

/** Messages to other partitions, each source's in the order they were added. */
export class MemoryOutboxTable implements OutboxTable {
  readonly #bySource = new OrderedGroups<OutboxImage, number, number>("outbox by source", (row) => [row.sourcePartition, row.seq], byNumber);
  readonly #rows: RowMap<number, OutboxImage>;

  constructor(private readonly context: StoreContext) {
    this.#rows = new RowMap(context, "outbox", (r) => rowBytes(r.message), [this.#bySource]);
  }

  add(source: number, target: number, message: string): number {
    const seq = this.context.nextSeq("outbox");
    this.#rows.insert(seq, { seq, sourcePartition: source, targetPartition: target, message });
    return seq;
  }

  take(seq: number): boolean {
    return this.#rows.delete(seq) !== undefined;
  }

  pending(source: number): OutboxRow[] {
    return this.#bySource.list(source).map((seq) => {
      const row = this.#rows.get(seq)!;
      return { seq, targetPartition: row.targetPartition, message: row.message };
    });
  }

  get parts(): readonly TablePart[] {
    return [this.#rows];
  }

  load(rows: Columns<OutboxImage>): void {
    for (const r of fromColumns(rows)) this.#rows.load(r.seq, r);
  }

  /** Forgets the messages to `partition`: in a store shared by nodes, a message belongs to its target's leader. */
  forget(partition: number): void {
    this.#rows.forget((row) => row.targetPartition === partition);
  }

  /** Forgets one message without deleting it from the database (another node's leader takes it). */
  release(seq: number): void {
    this.#rows.forget((row) => row.seq === seq);
  }

  has(seq: number): boolean {
    return this.#rows.get(seq) !== undefined;
  }

  /** Puts one persisted message into memory (another node wrote it to a partition led here). */
  loadRow(row: OutboxImage): void {
    this.#rows.load(row.seq, row);
  }

  changes(): TableChanges<OutboxImage, "seq"> {
    return tableChanges(["seq", "sourcePartition", "targetPartition", "message"], ["seq"], this.#rows.changes());
  }
}
