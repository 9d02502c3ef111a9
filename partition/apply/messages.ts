import { partitionKeyForKey, partitionOf } from "../../protocol/index.js";
import type { InvocationOutcome } from "../types.js";
import { partitionOfInvocation, type ApplyContext } from "./context.js";
import type { OutcomeTarget, PartitionMessage, SerializedOutcome } from "./declarations.js";
import { partitionKeyForTarget } from "./invocation-ids.js";

/** Where a partition message is applied, and outcomes in the JSON-safe form messages carry (types: declarations.ts). */

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
