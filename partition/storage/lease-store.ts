/** A leadership lease: `holder` leads `partition` at `epoch` until `expiresAt` (clock milliseconds). */
export interface Lease {
  readonly partition: number;
  readonly holder: string;
  readonly epoch: number;
  readonly expiresAt: number;
}

/**
 * Partition leadership leases (DESIGN.md, "Partitions and leases"), kept where every node that may lead
 * sees them. Epochs only ever rise, a released lease keeps its epoch, so every write stamped with an
 * epoch can be fenced by it. Asynchronous: in a shared database each call is a round trip.
 */
export interface LeaseStore {
  /**
   * Takes, together (one write), the leases of `partitions` that are free, expired or already
   * `holder`'s, for `ttlMs`; each taken lease's epoch is one above the stored one. Returns those taken.
   */
  acquire(partitions: readonly number[], holder: string, ttlMs: number): Promise<Lease[]>;
  /** Extends `lease` to now + `ttlMs`; rejects with LeaseLostError when it is no longer current. */
  renew(lease: Lease, ttlMs: number): Promise<Lease>;
  /** Ends `lease` if it is still the stored one; keeps its epoch. Idempotent. */
  release(lease: Lease): Promise<void>;
  /** The stored lease of `partition`, expired or released ones included (`expiresAt` 0 after release). */
  get(partition: number): Promise<Lease | undefined>;
  /** Every stored lease, and the store's clock as it read them: what partition placement decides on. */
  snapshot(): Promise<LeaseSnapshot>;
}

/** All leases at one moment of the store's clock (`now`, in the milliseconds `expiresAt` uses). */
export interface LeaseSnapshot {
  readonly now: number;
  readonly leases: readonly Lease[];
}
