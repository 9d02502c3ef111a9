import type { AwaitedIds, InvocationId } from "../protocol/index.js";

/**
 * The two narrow seams between the invoker and the partitions (DESIGN.md): invoke requests flow in
 * through `InvokerPort`, effects flow back out through `EffectSink`. Partitions import these types;
 * the invoker imports nothing from partition/.
 */

/** Where an effect comes from: one attempt of one invocation under one leader epoch. */
export interface EffectFence {
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly invocationId: InvocationId;
  readonly attempt: number;
}

export interface JournalFrame {
  readonly type: number;
  /** The whole protocol frame (header included), stored and replayed as is. */
  readonly frame: Uint8Array;
}

export type InvocationResult =
  | { readonly kind: "value"; readonly value: Uint8Array }
  | { readonly kind: "failure"; readonly code: number; readonly message: string };

/**
 * The deployment and service protocol version an invocation is bound to (Restate's pinned deployment):
 * once an attempt has written to the journal, every later attempt replays it on the same code.
 */
export interface DeploymentPin {
  readonly deploymentId: string;
  readonly protocolVersion: number;
}

export type Effect =
  /**
   * Commands the service wrote, to be appended to the journal in order. `pin`: the attempt's deployment,
   * on the first effect of an attempt of an unpinned invocation (it rides along: no commit of its own).
   */
  | { readonly kind: "journal"; readonly fence: EffectFence; readonly entries: readonly JournalFrame[]; readonly pin?: DeploymentPin }
  /** A `ctx.run` result proposed by the service; stored as its completion notification. `pin` as for `journal`. */
  | {
      readonly kind: "run-completion";
      readonly fence: EffectFence;
      readonly completionId: number;
      readonly notification: JournalFrame;
      readonly pin?: DeploymentPin;
    }
  | { readonly kind: "end"; readonly fence: EffectFence; readonly result: InvocationResult }
  | {
      readonly kind: "suspended";
      readonly fence: EffectFence;
      readonly entriesSeen: number;
      /** What the service waits for; undefined when its SuspensionMessage could not be read (resume on anything). */
      readonly awaiting?: AwaitedIds;
    }
  | { readonly kind: "attempt-failed"; readonly fence: EffectFence; readonly failure: string };

export interface EffectOutcome {
  /** False when the effect was fenced off (stale attempt or leader); the attempt must stop. */
  readonly applied: boolean;
  /** For a failed attempt: the retries are used up; the invocation was paused or killed per its policy. */
  readonly exhausted?: boolean;
  /** For an exhausted failure: the invocation was killed (its policy says KILL); otherwise it was paused. */
  readonly killed?: boolean;
}

export interface EffectSink {
  /** Resolves once the effect is durable (or was discarded as stale). */
  propose(effect: Effect): Promise<EffectOutcome>;
}

/** What an attempt needs to (re)start: the invocation's target and its journal so far. */
export interface AttemptInput {
  readonly invocationId: InvocationId;
  readonly service: string;
  readonly handler: string;
  readonly key: string;
  /** A virtual object or workflow (its key is part of its target); defaults to `key !== ""`. */
  readonly keyed?: boolean;
  readonly retryCount: number;
  /** Where the invocation is bound to run; undefined until an attempt has written to its journal. */
  readonly pinned?: DeploymentPin;
  readonly journal: readonly JournalFrame[];
  /** Eager state for StartMessage; `partial` tells the SDK to ask for keys not in it. */
  readonly state: { readonly entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>; readonly partial: boolean };
}

export interface JournalSource {
  /** Undefined when the invocation no longer needs an attempt (completed, purged, unknown). */
  loadAttemptInput(invocationId: InvocationId): AttemptInput | undefined;
}

/** The invoker as the partitions see it. */
export interface InvokerPort {
  registerPartition(partition: number, leaderEpoch: number): void;
  /** Aborts the partition's live attempts; its queued requests are dropped when dequeued. */
  abortPartition(partition: number): void;
  enqueue(request: { partition: number; leaderEpoch: number; invocationId: InvocationId }): void;
  /** Hands a stored notification to the invocation's live attempt, if it has one that can take it. */
  notify(invocationId: InvocationId, frame: Uint8Array): void;
  /** Ends the invocation's live attempt now (killed or paused); no effects of it are applied after. */
  abortInvocation(invocationId: InvocationId): void;
}
