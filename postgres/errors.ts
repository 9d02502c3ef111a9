import { StetError } from "../protocol/errors.js";

/**
 * PostgreSQL cannot be reached, or dropped the connection (refused, reset, timed out, shutting down or
 * starting up). Retryable: the caller says so (503) and tries again with backoff; `cause` is the driver's
 * or the network's error.
 */
export class StoreUnavailableError extends StetError {
  constructor(target: string, options: { cause: unknown }) {
    super("STET_STORE_UNAVAILABLE", `PostgreSQL at ${target} is unavailable: ${describe(options.cause)}`, {
      status: 503,
      ...options,
    });
    this.name = "StoreUnavailableError";
  }
}

/** The store's URL cannot be used (not a postgres:// URL, or malformed); a setting to correct. */
export class StoreUrlError extends StetError {
  constructor(reason: string) {
    super("STET_STORE_URL_INVALID", `store URL ${reason}; expected postgres://user[:password]@host[:port]/database`, {
      status: 500,
    });
    this.name = "StoreUrlError";
  }
}

/**
 * The cluster's database was created with another partition count than this node was started with. The
 * count is fixed when the cluster is created: every node must agree, or keys would hash to different
 * partitions on different nodes.
 */
export class ClusterPartitionsMismatchError extends StetError {
  readonly stored: number;
  readonly requested: number;

  constructor(target: string, stored: number, requested: number) {
    super(
      "STET_CLUSTER_PARTITIONS_MISMATCH",
      `the cluster in ${target} was created with ${stored} partitions; this node was started with ${requested}: ` +
        `the count cannot change once a cluster exists. Start the node with ${stored} partitions (or leave the ` +
        `count out), or use another database for a cluster of ${requested}`,
      { status: 500 },
    );
    this.name = "ClusterPartitionsMismatchError";
    this.stored = stored;
    this.requested = requested;
  }
}

/** An argument that the caller should never pass (a bug in the caller). */
export class PostgresArgumentError extends StetError {
  constructor(message: string) {
    super("STET_STORE_INVALID_ARGUMENT", message, { status: 500 });
    this.name = "PostgresArgumentError";
  }
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as { code?: unknown }).code;
  // AggregateError (a host with IPv4 and IPv6 addresses, both refused) has an empty message.
  const message = cause.message || (cause instanceof AggregateError ? cause.errors.map((e) => describe(e)).join("; ") : cause.name);
  return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
}
