import type { Effect, EffectOutcome, JournalFrame } from "../../invoker/index.js";
import type { InvocationId, RetryPolicyOnMaxAttempts } from "../../protocol/index.js";
import type { StateMutation } from "../storage/state-mutation-table.js";
import type { HandlerType, InvocationOutcome, InvocationTarget, ServiceType } from "../types.js";

/**
 * The apply step's vocabulary: the commands it takes, what it answers, the actions and messages it
 * emits, and what it asks of the registry. The modules of apply/ import these from here, and this file
 * imports none of them, so that no two of them import each other for a type
 * (test/unit/architecture/import-cycles.test.ts).
 */

/** What the partition needs to know about a handler when it creates an invocation of it. */
export interface HandlerInfo {
  readonly serviceType: ServiceType;
  readonly handlerType: HandlerType | null;
  /** How long a completed invocation's outcome is kept, in ms: 0 = deleted on completion; null = kept for ever. */
  readonly retentionMs: number | null;
  /** Attempts before the retries stop; null = retry forever. */
  readonly maxAttempts: number | null;
  /** What happens when they stop: the invocation is paused (resumable) or killed (fails). */
  readonly onMaxAttempts: RetryPolicyOnMaxAttempts;
}

export interface ServiceResolver {
  /**
   * The handler as the latest deployment of its service declares it; with `pinnedDeploymentId`, as that
   * deployment declares it (falling back to the latest when it no longer has the handler or is gone).
   */
  resolve(service: string, handler: string, pinnedDeploymentId?: string): HandlerInfo | undefined;
}

export type ControlOp = "cancel" | "kill" | "purge" | "pause" | "resume";

export type PartitionCommand =
  | Effect
  | { readonly kind: "invoke"; readonly spec: InvocationSpec }
  | { readonly kind: "deliver"; readonly seq: number; readonly message: PartitionMessage }
  | { readonly kind: "fire-timers" }
  | { readonly kind: "expire" }
  /** `deployment`: for `resume`, the deployment a paused or suspended invocation moves to (pinning.ts). */
  | { readonly kind: "control"; readonly op: ControlOp; readonly invocationId: InvocationId; readonly deployment?: string }
  /**
   * A completed invocation started anew, with its journal copied up to entry `copyUpTo` (included);
   * pinned as the original was, on `deployment` when one was chosen.
   */
  | { readonly kind: "restart-as-new"; readonly invocationId: InvocationId; readonly copyUpTo: number; readonly deployment?: string }
  /** A message from outside the partitions (ingress), proposed to the partition that owns its target. */
  | { readonly kind: "message"; readonly message: PartitionMessage }
  /** An operator's replacement of one key's state (admin `POST /services/{s}/state`). */
  | { readonly kind: "mutate-state"; readonly mutation: StateMutation };

export interface Started {
  readonly invocationId: InvocationId;
  /** True when an idempotency key or workflow id already named an invocation: no new one was made. */
  readonly existing: boolean;
}

/** Why a restart-as-new was refused, one for each of Restate 1.7's answers (the admin API words them). */
export type RestartRefusal =
  | "not-found"
  | "not-started"
  | "still-running"
  | "missing-input"
  | "unsupported"
  | "deployment-not-found"
  | "copy-range-invalid"
  | "index-out-of-range";

export interface CommandResult extends EffectOutcome {
  /** For `invoke`: the invocation, and whether an idempotency key or workflow id named an existing one. */
  readonly started?: Started;
  /** For `control` and `restart-as-new`: why it was not applied (unknown, not in a state that allows it). */
  readonly refusal?: { readonly status: number; readonly message: string; readonly reason?: RestartRefusal };
  /** For `expire`: a full batch was deleted and more are due now. */
  readonly more?: boolean;
}

/** What the processor does once the command is durable. */
export type PartitionAction =
  | { readonly kind: "enqueue"; readonly invocationId: InvocationId }
  | { readonly kind: "started"; readonly target: InvocationTarget }
  | { readonly kind: "completed"; readonly invocationId: InvocationId; readonly target: InvocationTarget; readonly outcome: InvocationOutcome }
  | { readonly kind: "notify"; readonly invocationId: InvocationId; readonly entry: JournalFrame }
  | { readonly kind: "abort"; readonly invocationId: InvocationId }
  | { readonly kind: "outbox"; readonly seq: number; readonly targetPartition: number; readonly message: PartitionMessage }
  | { readonly kind: "timer"; readonly fireAt: number };

/** A journal entry in JSON-safe form, for messages that cross partitions through the outbox. */
export interface EncodedFrame {
  readonly type: number;
  readonly frame: string;
}

/** A new invocation, as another partition (or ingress) asks for it. */
export interface InvocationSpec {
  readonly invocationId: InvocationId;
  readonly target: InvocationTarget;
  readonly handler: HandlerInfo;
  readonly input: EncodedFrame;
  readonly idempotencyKey: string | null;
  readonly caller: { readonly id: InvocationId; readonly completionId: number } | null;
  /** Epoch ms at which to start; null or past = now. */
  readonly executionTime: number | null;
}

/** Names an invocation whose outcome someone wants: by id, by workflow key, or by idempotency key. */
export type OutcomeTarget =
  | { readonly kind: "id"; readonly invocationId: InvocationId }
  | { readonly kind: "workflow"; readonly service: string; readonly key: string }
  | { readonly kind: "idempotent"; readonly service: string; readonly key: string; readonly handler: string; readonly idempotencyKey: string };

/** Messages between partitions; local ones are applied at once, others travel through the outbox. */
export type PartitionMessage =
  | { readonly kind: "invoke"; readonly spec: InvocationSpec }
  | { readonly kind: "notify"; readonly invocationId: InvocationId; readonly entry: EncodedFrame }
  | { readonly kind: "cancel"; readonly invocationId: InvocationId }
  | { readonly kind: "kill"; readonly invocationId: InvocationId }
  /** Someone waits for an outcome: answer now if there is one, else remember the waiter. */
  | {
      readonly kind: "await-outcome";
      readonly target: OutcomeTarget;
      readonly waiterId: InvocationId;
      readonly completionId: number;
      readonly notificationType: number;
      /** Answer at once with "not ready" instead of waiting (GetInvocationOutput). */
      readonly peek: boolean;
    }
  | {
      readonly kind: "outcome";
      readonly waiterId: InvocationId;
      readonly completionId: number;
      readonly notificationType: number;
      readonly outcome: SerializedOutcome | null;
    };

export type SerializedOutcome =
  | { readonly kind: "value"; readonly value: string }
  | { readonly kind: "failure"; readonly code: number; readonly message: string };
