import { partitionKeyForKey, partitionOf, type InvocationId } from "../../protocol/index.js";
import type { InvocationOutcome, InvocationTarget } from "../types.js";
import type { ApplyContext, EncodedFrame, HandlerInfo } from "./context.js";
import { partitionOfInvocation } from "./context.js";
import { partitionKeyForTarget } from "./invocation-ids.js";

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

export function serializeOutcome(outcome: InvocationOutcome): SerializedOutcome {
  return outcome.kind === "value" ? { kind: "value", value: Buffer.from(outcome.value).toString("base64") } : outcome;
}

export function deserializeOutcome(outcome: SerializedOutcome): InvocationOutcome {
  return outcome.kind === "value" ? { kind: "value", value: Buffer.from(outcome.value, "base64") } : outcome;
}

export function partitionOfOutcomeTarget(ctx: ApplyContext, target: OutcomeTarget): number {
  switch (target.kind) {
    case "id":
      return partitionOfInvocation(ctx, target.invocationId);
    case "workflow":
      return partitionOf(partitionKeyForKey(target.service, target.key), ctx.partitionCount);
    case "idempotent": {
      const key = partitionKeyForTarget({ service: target.service, handler: target.handler, key: target.key }, target.idempotencyKey)!;
      return partitionOf(key, ctx.partitionCount);
    }
  }
}

/** The partition a message must be applied in. */
export function partitionOfMessage(ctx: ApplyContext, message: PartitionMessage): number {
  switch (message.kind) {
    case "invoke":
      return partitionOfInvocation(ctx, message.spec.invocationId);
    case "notify":
    case "cancel":
    case "kill":
      return partitionOfInvocation(ctx, message.invocationId);
    case "outcome":
      return partitionOfInvocation(ctx, message.waiterId);
    case "await-outcome":
      return partitionOfOutcomeTarget(ctx, message.target);
  }
}
