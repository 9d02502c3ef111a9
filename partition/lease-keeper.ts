import { toError } from "../protocol/errors.js";
import { LeaseKeeperClosedError, LeaseLostError } from "./lease-errors.js";
import type { Lease, LeaseStore } from "./storage/lease-store.js";

/** Timer functions; injectable, and by default looked up on `globalThis` at call time so fake timers apply. */
export interface LeaseTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface LeaseKeeperOptions {
  readonly store: LeaseStore;
  readonly partition: number;
  /** Lease length in milliseconds; the keeper renews every third of it, so two renewals may fail in a row. */
  readonly ttlMs: number;
  /** Called once when a renewal fails; the partition must step down. Must not throw. */
  readonly onLost: (reason: LeaseLostError) => void;
  /** Told when releasing a lease failed (it then runs out at its expiry). Must not throw. */
  readonly onError?: (error: Error) => void;
  readonly timers?: LeaseTimers;
}

const globalTimers: LeaseTimers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/**
 * Holds one partition's lease once taken (`hold`): renews it every ttl/3, and reports when it is lost.
 * Leases are taken for several partitions at once (`LeaseStore.acquire`), so taking is the caller's.
 */
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

  /** Starts keeping `lease` (just taken from the store). Refused once closed. */
  hold(lease: Lease): void {
    if (this.#closed) throw new LeaseKeeperClosedError(this.#options.partition);
    this.#stopTimer();
    this.#lease = lease;
    this.#schedule();
  }

  /**
   * Stops renewing and releases the lease (step-down); resolves once the store has it. The keeper may
   * hold a lease again. Idempotent.
   */
  async release(): Promise<void> {
    this.#stopTimer();
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease === undefined) return;
    try {
      await this.#options.store.release(lease);
    } catch (error) {
      this.#options.onError?.(toError(error));
    }
  }

  /** Releases the lease and refuses further acquisitions. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    return this.release();
  }

  /** Stops renewing without releasing, as a crash would: the lease runs out at its expiry. Idempotent. */
  destroy(): void {
    this.#closed = true;
    this.#stopTimer();
    this.#lease = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #schedule(): void {
    const handle = this.#timers.setTimeout(() => void this.#renew(), this.#renewEveryMs);
    // A lease renewal alone should not keep the process alive.
    (handle as { unref?: () => void } | null)?.unref?.();
    this.#timer = handle;
  }

  async #renew(): Promise<void> {
    this.#timer = undefined;
    const lease = this.#lease;
    if (lease === undefined) return;
    let renewed: Lease;
    try {
      renewed = await this.#options.store.renew(lease, this.#options.ttlMs);
    } catch (error) {
      // Released or replaced while the renewal was under way: that is not a loss to report.
      if (this.#lease !== lease) return;
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
    if (this.#lease !== lease) return;
    this.#lease = renewed;
    this.#schedule();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
