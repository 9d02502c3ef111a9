import {
  derivedInvocationId,
  newInvocationId,
  partitionKeyForKey,
  partitionKeyRange,
  randomPartitionKey,
  type InvocationId,
  type PartitionKey,
} from "../../protocol/index.js";
import type { InvocationTarget } from "../types.js";
import type { HandlerInfo } from "./declarations.js";

/** A workflow's run handler: it runs once per workflow key. */
export function isWorkflowRun(handler: Pick<HandlerInfo, "serviceType" | "handlerType">): boolean {
  return handler.serviceType === "WORKFLOW" && handler.handlerType === "WORKFLOW";
}

/**
 * The partition key of an invocation created for `target`: the object's or workflow's key, the
 * idempotency key for keyless idempotent calls (so duplicates meet in one partition), else random.
 */
export function partitionKeyForTarget(target: InvocationTarget, idempotencyKey: string | null): PartitionKey | undefined {
  if (target.key !== "") return partitionKeyForKey(target.service, target.key);
  if (idempotencyKey !== null) return partitionKeyForKey(target.service, `${target.handler}\u0000${idempotencyKey}`);
  return undefined;
}

/**
 * The id of a new invocation of `target`. A workflow run's derives from its workflow key, an idempotent
 * call's from its target and idempotency key (as Restate derives them): whoever asks again is told the
 * id of the invocation that runs, before the partition that owns it has answered. Others are fresh.
 */
export function invocationIdFor(
  target: InvocationTarget,
  handler: HandlerInfo,
  idempotencyKey: string | null,
  freshKey: () => PartitionKey = randomPartitionKey,
): InvocationId {
  if (isWorkflowRun(handler)) return derivedInvocationIdOf({ kind: "workflow", service: target.service, key: target.key });
  if (idempotencyKey !== null) {
    return derivedInvocationIdOf({ kind: "idempotent", service: target.service, key: target.key, handler: target.handler, idempotencyKey });
  }
  return newInvocationId(partitionKeyForTarget(target, null) ?? freshKey());
}

/** A random partition key of one of `partitions` (each as likely), uniform within it. */
export function randomPartitionKeyIn(partitions: readonly number[], partitionCount: number): PartitionKey {
  const partition = partitions[Number(randomPartitionKey() % BigInt(partitions.length))]!;
  const { start, end } = partitionKeyRange(partition, partitionCount);
  return (start + (randomPartitionKey() % (end - start + 1n))) as PartitionKey;
}

/** What names an invocation whose id is derived: a workflow run, or an idempotent call. */
export type DerivedIdTarget =
  | { readonly kind: "workflow"; readonly service: string; readonly key: string }
  | { readonly kind: "idempotent"; readonly service: string; readonly key: string; readonly handler: string; readonly idempotencyKey: string };

/** The id of the invocation `named` names, whether or not it ran (Restate's lookup answers it too). */
export function derivedInvocationIdOf(named: DerivedIdTarget): InvocationId {
  if (named.kind === "workflow") return derivedInvocationId(partitionKeyForKey(named.service, named.key), ["workflow", named.service, named.key]);
  const partitionKey = partitionKeyForTarget({ service: named.service, handler: named.handler, key: named.key }, named.idempotencyKey)!;
  return derivedInvocationId(partitionKey, ["idempotent", named.service, named.key, named.handler, named.idempotencyKey]);
}
