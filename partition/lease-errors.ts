import { StetError } from "../protocol/errors.js";

/**
 * The lease was taken by another holder, expired, or was released: the holder must step down (stop
 * applying, abort its partition's attempts). Never taken back implicitly — the holder re-acquires.
 */
export class LeaseLostError extends StetError {
  readonly partition: number;
  readonly epoch: number;

  constructor(partition: number, epoch: number, reason: string, options: { cause?: unknown } = {}) {
    super("STET_LEASE_LOST", `lease on partition ${partition} at epoch ${epoch} is lost: ${reason}`, {
      status: 503,
      ...options,
    });
    this.name = "LeaseLostError";
    this.partition = partition;
    this.epoch = epoch;
  }
}

/** A partition id, holder or ttl passed to the lease table is out of range (a bug in the caller). */
export class LeaseArgumentError extends StetError {
  constructor(message: string) {
    super("STET_LEASE_INVALID_ARGUMENT", message, { status: 500 });
    this.name = "LeaseArgumentError";
  }
}

/** `LeaseKeeper.start()` after `close()`. */
export class LeaseKeeperClosedError extends StetError {
  constructor(partition: number) {
    super("STET_LEASE_KEEPER_CLOSED", `lease keeper for partition ${partition} is closed`, { status: 500 });
    this.name = "LeaseKeeperClosedError";
  }
}
