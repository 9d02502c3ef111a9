// What the workload driver sees of an option, and the group-commit loop they share: commands proposed
// while a commit is in flight wait, and go together in the next one (one transaction, one fsync).
import { performance } from "node:perf_hooks";
import type { Command, Outcome, PartitionModel } from "./model.js";

export interface Engine {
  readonly name: string;
  readonly partitions: number;
  propose(partition: number, cmd: Command): Promise<Outcome>;
  model(partition: number): PartitionModel;
  /** Commit latencies (ms) and batch sizes since the last call. */
  takeStats(): { commitsMs: number[]; batchSizes: number[] };
  close(): Promise<void>;
}

interface Pending<T> {
  readonly item: T;
  readonly resolve: (o: Outcome) => void;
  readonly reject: (e: Error) => void;
}

/**
 * One in-flight commit at a time per loop. `commit` gets the whole queue and returns one outcome per item
 * once the batch is durable; it may be synchronous (SQLite blocks the event loop during fsync, as stet
 * does today) or asynchronous (PostgreSQL).
 */
export class BatchLoop<T> {
  #queue: Pending<T>[] = [];
  #busy = false;
  #scheduled = false;
  #failed: Error | undefined;
  commitsMs: number[] = [];
  batchSizes: number[] = [];

  constructor(private readonly commit: (items: readonly T[]) => Outcome[] | Promise<Outcome[]>) {}

  submit(item: T): Promise<Outcome> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#busy || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    if (this.#busy || this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#busy = true;
    const started = performance.now();
    try {
      const outcomes = await this.commit(batch.map((p) => p.item));
      this.commitsMs.push(performance.now() - started);
      this.batchSizes.push(batch.length);
      batch.forEach((p, i) => p.resolve(outcomes[i]!));
    } catch (error) {
      // A failed commit leaves the leader's memory ahead of the store: the prototype stops the loop,
      // as a product leader would step down and rebuild.
      this.#failed = error instanceof Error ? error : new Error(String(error));
      for (const p of [...batch, ...this.#queue]) p.reject(this.#failed);
      this.#queue = [];
    } finally {
      this.#busy = false;
    }
    if (this.#queue.length > 0) this.#schedule();
  }

  take(): { commitsMs: number[]; batchSizes: number[] } {
    const out = { commitsMs: this.commitsMs, batchSizes: this.batchSizes };
    this.commitsMs = [];
    this.batchSizes = [];
    return out;
  }
}

export function mergeStats(loops: Iterable<BatchLoop<unknown>>): { commitsMs: number[]; batchSizes: number[] } {
  const out = { commitsMs: [] as number[], batchSizes: [] as number[] };
  for (const loop of loops) {
    const s = loop.take();
    out.commitsMs = out.commitsMs.concat(s.commitsMs);
    out.batchSizes = out.batchSizes.concat(s.batchSizes);
  }
  return out;
}
