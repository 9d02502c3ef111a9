import { toError } from "../protocol/errors.js";
import { LeaseKeeperClosedError, LeaseLostError } from "./lease-errors.js";
import type { Lease, LeaseTable } from "../sqlite/lease-table.js";

/** Timer functions; injectable, and by default looked up on `globalThis` at call time so fake timers apply. */
export interface LeaseTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LeaseKeeperOptions {
  readonly table: LeaseTable;
  readonly partition: number;
  readonly holder: string;
  /** Lease length in milliseconds; the keeper renews every third of it, so two renewals may fail in a row. */
  readonly ttlMs: number;
  /** Called once when a renewal fails; the partition must step down. Must not throw. */
  readonly onLost: (reason: LeaseLostError) => void;
  readonly timers?: LeaseTimers;
}

const globalTimers: LeaseTimers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/** Holds one partition's lease: acquires it, renews it every ttl/3, and reports when it is lost. */
export class LeaseKeeper {
  readonly #options: LeaseKeeperOptions;
  readonly #timers: LeaseTimers;
  readonly #renewEveryMs: number;
  #lease: Lease | undefined;
  #timer: unknown;
  #closed = false;

  constructor(options: LeaseKeeperOptions) {
    this.#options = options;
    this.#timers = options.timers ?? globalTimers;
    this.#renewEveryMs = Math.max(1, Math.floor(options.ttlMs / 3));
  }

  /** The lease while held; undefined before acquisition, after loss and after release. */
  get lease(): Lease | undefined {
    return this.#lease;
  }

  /**
   * Takes the lease and starts renewing it; returns null if another holder has it (try again later).
   * Returns the current lease if this keeper already holds it.
   */
  acquire(): Lease | null {
    if (this.#closed) throw new LeaseKeeperClosedError(this.#options.partition);
    if (this.#lease !== undefined) return this.#lease;
    const { table, partition, holder, ttlMs } = this.#options;
    const lease = table.acquire(partition, holder, ttlMs);
    if (lease === null) return null;
    this.#lease = lease;
    this.#schedule();
    return lease;
  }

  /** Stops renewing and releases the lease (step-down). The keeper may acquire again. Idempotent. */
  release(): void {
    this.#stopTimer();
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease !== undefined) this.#options.table.release(lease);
  }

  /** Releases the lease and refuses further acquisitions. Idempotent. */
  close(): void {
    this.#closed = true;
    this.release();
  }

  /** Stops renewing without releasing, as a crash would: the lease runs out at its expiry. Idempotent. */
  destroy(): void {
    this.#closed = true;
    this.#stopTimer();
    this.#lease = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #schedule(): void {
    const handle = this.#timers.setTimeout(() => this.#renew(), this.#renewEveryMs);
    // A lease renewal alone should not keep the process alive.
    (handle as { unref?: () => void } | null)?.unref?.();
    this.#timer = handle;
  }

  #renew(): void {
    this.#timer = undefined;
    const lease = this.#lease;
    if (lease === undefined) return;
    try {
      this.#lease = this.#options.table.renew(lease, this.#options.ttlMs);
    } catch (error) {
      this.#lease = undefined;
      // Without a successful renewal we cannot know we still lead, so any failure counts as a loss.
      const reason =
        error instanceof LeaseLostError
          ? error
          : new LeaseLostError(lease.partition, lease.epoch, `renewal failed: ${toError(error).message}`, {
              cause: error,
            });
      this.#options.onLost(reason);
      return;
    }
    this.#schedule();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
