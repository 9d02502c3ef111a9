import type { InvocationId } from "../../protocol/index.js";

export type TimerKind = "sleep" | "start";

export interface DueTimer {
  readonly seq: number;
  readonly invocationId: InvocationId;
  readonly kind: TimerKind;
  readonly completionId: number | null;
  readonly fireAt: number;
}

/** Sleeps and delayed starts, by partition and due time (epoch ms). */
export interface TimerTable {
  add(partition: number, fireAt: number, id: InvocationId, kind: TimerKind, completionId: number | null): void;
  /** Timers of `partition` due at `now`, earliest first, at most `limit`. */
  due(partition: number, now: number, limit: number): DueTimer[];
  delete(seq: number): void;
  /** Drops every timer of an invocation (it completed, was killed or cancelled). */
  deleteFor(id: InvocationId): void;
  /** Timers waiting to fire, over all partitions (metrics, on scrape). */
  count(): number;
  earliest(partition: number): number | undefined;
}

export interface OutboxRow {
  readonly seq: number;
  readonly targetPartition: number;
  readonly message: string;
}

/** Messages from one partition to another, kept until the target applied them (exactly once). */
export interface OutboxTable {
  /** Stores a message; returns its seq. */
  add(source: number, target: number, message: string): number;
  /** Removes the message; false when it was delivered already. */
  take(seq: number): boolean;
  pending(source: number): OutboxRow[];
}
