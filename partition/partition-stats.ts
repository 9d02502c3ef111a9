import type { InvocationOutcome, InvocationTarget } from "./types.js";

/**
 * What the partitions tell an observer (the server's metrics) as they work. Called on the engine's hot
 * path, after the commit that made each fact durable: implementations must only bump numbers, never do
 * I/O or throw. partition/ knows nothing of how these are exported.
 */
export interface PartitionStats {
  /** A new invocation was stored (from ingress, a call or a send of a service); not a deduplicated one. */
  invocationStarted(target: InvocationTarget): void;
  /** An invocation's outcome was stored: a value, or a failure (terminal error, kill, cancel). */
  invocationCompleted(target: InvocationTarget, outcome: InvocationOutcome): void;
  /** One group commit: how many commands shared the transaction, and its time in seconds (fsync included). */
  committed(commands: number, seconds: number): void;
}
