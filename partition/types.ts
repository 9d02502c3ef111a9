import type { DeploymentPin, InvocationResult, JournalFrame } from "../invoker/index.js";
import type { AwaitedIds, HandlerType, InvocationId, ServiceType } from "../protocol/index.js";

export type PartitionId = number & { readonly __brand: "PartitionId" };
export type LeaderEpoch = number & { readonly __brand: "LeaderEpoch" };

/**
 * `scheduled`: waits for its execution time (delayed send). `inboxed`: waits for its object's lock.
 * `invoked`: ready for, or in, an attempt. `backing-off`: the last attempt failed, another follows.
 * `suspended`: waits for a notification. `paused`: retries exhausted or paused by an operator; waits
 * for resume. `completed`: output stored, journal closed.
 */
export type InvocationStatus = "scheduled" | "inboxed" | "invoked" | "backing-off" | "suspended" | "paused" | "completed";

/** The kinds a deployment's manifest declares (protocol/manifest.ts, one definition), as an invocation records them. */
export type { HandlerType, ServiceType } from "../protocol/index.js";

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
  readonly serviceType: ServiceType;
  readonly handlerType: HandlerType | null;
  /** Whether this invocation holds its object's (or workflow's) exclusive lock. */
  readonly holdsLock: boolean;
  /** The invocation that called this one and the completion id its result goes to. */
  readonly caller: { readonly id: InvocationId; readonly completionId: number } | null;
  readonly executionTime: number | null;
  /** How long the outcome is kept after completion, in ms; null = forever. */
  readonly retentionMs: number | null;
  readonly expiresAt: number | null;
  /** While suspended: the notifications that may unblock it; null = any. */
  readonly awaiting: AwaitedIds | null;
  readonly status: InvocationStatus;
  readonly idempotencyKey: string | null;
  readonly createdAt: number;
  readonly modifiedAt: number;
  readonly retryCount: number;
  readonly lastFailure: string | null;
  /** The deployment and protocol version its attempts run on; null until an attempt wrote to the journal. */
  readonly pinned: DeploymentPin | null;
  readonly journalLength: number;
  readonly completedAt: number | null;
  readonly outcome: InvocationOutcome | null;
}

/**
 * A stored journal entry: the protocol frame as bytes plus its type, for replay without re-encoding (the
 * invoker's type, one definition). Kept for sqlite/store/invocation-table.ts; partition/ says JournalFrame.
 */
export type JournalEntry = JournalFrame;
