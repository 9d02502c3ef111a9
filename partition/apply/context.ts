import type { JournalFrame } from "../../invoker/index.js";
import { partitionKeyOf, partitionOf, type InvocationId } from "../../protocol/index.js";
import type { PartitionStore } from "../storage/partition-store.js";
import type { PartitionMessage } from "./messages.js";
import type { HandlerType, InvocationOutcome, InvocationTarget, LeaderEpoch, PartitionId, ServiceType } from "../types.js";

/** What the partition needs to know about a handler when it creates an invocation of it. */
export interface HandlerInfo {
  readonly serviceType: ServiceType;
  readonly handlerType: HandlerType | null;
  /** How long a completed invocation's outcome is kept, in ms: 0 = deleted on completion; null = kept for ever. */
  readonly retentionMs: number | null;
  /** Attempts before the retries stop; null = retry forever. */
  readonly maxAttempts: number | null;
  /** What happens when they stop: the invocation is paused (resumable) or killed (fails). */
  readonly onMaxAttempts: "PAUSE" | "KILL";
}

export interface ServiceResolver {
  /**
   * The handler as the latest deployment of its service declares it; with `pinnedDeploymentId`, as that
   * deployment declares it (falling back to the latest when it no longer has the handler or is gone).
   */
  resolve(service: string, handler: string, pinnedDeploymentId?: string): HandlerInfo | undefined;
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

export interface ApplyContext {
  readonly store: PartitionStore;
  readonly partition: PartitionId;
  readonly epoch: LeaderEpoch;
  readonly partitionCount: number;
  readonly now: number;
  readonly services: ServiceResolver;
  /** Post-commit actions, appended in order while applying. */
  readonly actions: PartitionAction[];
}

export function partitionOfInvocation(ctx: ApplyContext, id: InvocationId): number {
  return partitionOf(partitionKeyOf(id), ctx.partitionCount);
}

/** A journal entry in JSON-safe form, for messages that cross partitions through the outbox. */
export interface EncodedFrame {
  readonly type: number;
  readonly frame: string;
}

export function encodeEntry(entry: JournalFrame): EncodedFrame {
  return { type: entry.type, frame: Buffer.from(entry.frame).toString("base64") };
}

export function decodeEntry(entry: EncodedFrame): JournalFrame {
  return { type: entry.type, frame: Buffer.from(entry.frame, "base64") };
}
