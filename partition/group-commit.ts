import { performance } from "node:perf_hooks";
import { StetError, toError } from "../protocol/errors.js";
import type { PartitionStats } from "./partition-stats.js";
import type { LeadershipFence, PartitionStore } from "./storage/partition-store.js";

/** A unit of work applied inside the shared batch; `after` runs once the batch is durable. */
export interface Applied<T> {
  readonly result: T;
  readonly after?: () => void;
}

interface Pending {
  readonly fence: LeadershipFence | null;
  readonly work: () => Applied<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

type Outcome = { readonly ok: true; readonly applied: Applied<unknown> } | { readonly ok: false; readonly error: Error };

export class CommitterClosedError extends StetError {
  constructor() {
    super("STET_COMMITTER_CLOSED", "the storage committer is closed; no further commands are accepted", {
      status: 503,
    });
  }
}

/**
 * Group commit: every command submitted in the same tick shares one storage batch (one fsync, or one
 * database round trip) (DESIGN.md, Storage). The commands apply one by one, synchronously, each atomic
 * on its own; the batch then commits, and nothing of it is acknowledged before that. One batch is in
 * flight at a time: commands submitted meanwhile form the next.
 */
export class GroupCommitter {
  #queue: Pending[] = [];
  #scheduled = false;
  #committing: Promise<void> | undefined;
  #closed = false;
  #batches = 0;

  constructor(
    private readonly store: Pick<PartitionStore, "begin">,
    /** Told about a post-commit callback that threw: the commit stands, the error must not go unseen. */
    private readonly onAfterError: (error: Error) => void = () => {},
    /** Told each committed batch's size and time (metrics). */
    private readonly stats?: Pick<PartitionStats, "committed">,
    /** Told why a batch could not be made durable (after every command of it was rejected). */
    private readonly onCommitFailed: (error: unknown) => void = () => {},
  ) {}

  /** How many batches were committed; a gauge for tests and benchmarks. */
  get batchCount(): number {
    return this.#batches;
  }

  /** Runs `work` in the next batch, under `fence` (the leadership it was decided under, if any). */
  submit<T>(work: () => Applied<T>, fence: LeadershipFence | null = null): Promise<T> {
    if (this.#closed) return Promise.reject(new CommitterClosedError());
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fence, work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled && this.#committing === undefined) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Applies what is queued, refuses new work, and resolves once the last batch settled. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (;;) {
      if (this.#committing === undefined) this.#flush();
      if (this.#committing === undefined) return;
      await this.#committing;
    }
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#committing !== undefined) return;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    const startedAt = performance.now();
    let outcomes: Outcome[];
    let committed: Promise<void>;
    try {
      const tx = this.store.begin();
      outcomes = batch.map((item): Outcome => {
        try {
          return { ok: true, applied: tx.command(item.fence, item.work) };
        } catch (error) {
          return { ok: false, error: toError(error) };
        }
      });
      committed = tx.commit();
    } catch (error) {
      this.#fail(batch, error);
      return;
    }
    this.#committing = committed.then(
      () => this.#settle(batch, outcomes, startedAt),
      (error: unknown) => this.#fail(batch, error),
    ).finally(() => {
      this.#committing = undefined;
      // The next tick, as for any batch: what arrives meanwhile joins it.
      if (this.#queue.length > 0 && !this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #settle(batch: readonly Pending[], outcomes: readonly Outcome[], startedAt: number): void {
    this.#batches++;
    this.stats?.committed(batch.length, (performance.now() - startedAt) / 1000);
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (!outcome.ok) {
        item.reject(outcome.error);
        return;
      }
      try {
        outcome.applied.after?.();
      } catch (error) {
        this.onAfterError(toError(error));
      }
      item.resolve(outcome.applied.result);
    });
  }

  #fail(batch: readonly Pending[], error: unknown): void {
    const failure = new StetError("STET_STORAGE_COMMIT_FAILED", `storage commit failed: ${toError(error).message}`, {
      status: 503,
      cause: error,
    });
    for (const item of batch) item.reject(failure);
    this.onCommitFailed(error);
  }
}
