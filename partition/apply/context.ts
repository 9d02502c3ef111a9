import type { JournalFrame } from "../../invoker/index.js";
import { partitionKeyOf, partitionOf, type InvocationId } from "../../protocol/index.js";
import type { PartitionStore } from "../storage/partition-store.js";
import type { LeaderEpoch, PartitionId } from "../types.js";
import type { EncodedFrame, PartitionAction, ServiceResolver } from "./declarations.js";

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

export function encodeEntry(entry: JournalFrame): EncodedFrame {
  return { type: entry.type, frame: Buffer.from(entry.frame).toString("base64") };
}

export function decodeEntry(entry: EncodedFrame): JournalFrame {
  return { type: entry.type, frame: Buffer.from(entry.frame, "base64") };
}
