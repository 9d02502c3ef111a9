import type { InvocationResult } from "../invoker/index.js";
import type { InvocationId } from "../protocol/index.js";

export type PartitionId = number & { readonly __brand: "PartitionId" };
export type LeaderEpoch = number & { readonly __brand: "LeaderEpoch" };

/**
 * `invoked`: ready for, or in, an attempt. `backing-off`: the last attempt failed, another follows.
 * `suspended`: waits for a notification. `completed`: output stored, journal closed.
 */
export type InvocationStatus = "invoked" | "backing-off" | "suspended" | "completed";

export interface InvocationTarget {
  readonly service: string;
  readonly handler: string;
  /** Object or workflow key; empty for plain services. */
  readonly key: string;
}

/** How an invocation ended: its output value or terminal failure (the invoker's type, one definition). */
export type InvocationOutcome = InvocationResult;

export interface InvocationRecord {
  readonly id: InvocationId;
  readonly partition: PartitionId;
  readonly target: InvocationTarget;
  readonly status: InvocationStatus;
  readonly idempotencyKey: string | null;
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly retryCount: number;
  readonly lastFailure: string | null;
  readonly journalLength: number;
  readonly completedAt: number | null;
  readonly outcome: InvocationOutcome | null;
}

/** Identifies one attempt of one invocation under one leader; effects from any other attempt are stale. */
export interface AttemptFence {
  readonly partition: PartitionId;
  readonly leaderEpoch: LeaderEpoch;
  readonly invocationId: InvocationId;
  readonly attempt: number;
}

/** A stored journal entry: the protocol frame as bytes plus its type, for replay without re-encoding. */
export interface JournalEntry {
  readonly type: number;
  readonly frame: Uint8Array;
}
