import type { InvocationId } from "../../protocol/index.js";
import type { InvocationOutcome } from "../types.js";

/** Which invocation an idempotency key, or a workflow's key, names. */
export interface IdempotencyTable {
  get(service: string, key: string, handler: string, idempotencyKey: string): InvocationId | undefined;
  put(service: string, key: string, handler: string, idempotencyKey: string, id: InvocationId): void;
  workflowRun(service: string, key: string): InvocationId | undefined;
  putWorkflowRun(service: string, key: string, id: InvocationId): void;
  /** Drops the keys that name `id` (its retention ended). */
  deleteFor(id: InvocationId): void;
}

/** Workflow promises, by workflow and name. */
export interface PromiseTable {
  get(service: string, key: string, name: string): InvocationOutcome | undefined;
  put(service: string, key: string, name: string, outcome: InvocationOutcome): void;
  clearAll(service: string, key: string): void;
}

/** Who waits for what: a promise (`promise`, target `service/key/name`) or an invocation's outcome (`outcome`). */
export type WaiterKind = "promise" | "outcome";

export interface Waiter {
  readonly waiterId: InvocationId;
  readonly completionId: number;
  readonly notificationType: number;
}

export interface WaiterTable {
  add(kind: WaiterKind, target: string, waiter: Waiter): void;
  /** Removes and returns everyone waiting on `target`, in the order they came. */
  take(kind: WaiterKind, target: string): Waiter[];
}
