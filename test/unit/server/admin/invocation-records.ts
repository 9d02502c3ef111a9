import type { InvocationRecord, PartitionId } from "../../../../partition/index.js";
import { newInvocationId, randomPartitionKey } from "../../../../protocol/index.js";

/** A running call to service `Svc`, handler `h`, in partition 0, created at time 0: what admin route tests hold in their fake engines. */
export function invocationRecord(overrides: Partial<InvocationRecord> = {}): InvocationRecord {
  return {
    id: newInvocationId(randomPartitionKey()),
    partition: 0 as PartitionId,
    target: { service: "Svc", handler: "h", key: "" },
    serviceType: "SERVICE",
    handlerType: null,
    holdsLock: false,
    caller: null,
    executionTime: null,
    retentionMs: null,
    expiresAt: null,
    awaiting: null,
    status: "invoked",
    idempotencyKey: null,
    createdAt: 0,
    modifiedAt: 0,
    retryCount: 0,
    lastFailure: null,
    pinned: null,
    journalLength: 1,
    completedAt: null,
    outcome: null,
    ...overrides,
  };
}
