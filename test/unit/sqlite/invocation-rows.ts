import type { PartitionId } from "../../../partition/index.js";
import type { NewInvocationRow } from "../../../partition/storage/invocation-table.js";
import type { InvocationId } from "../../../protocol/index.js";

/** A freshly invoked call to service `S`, handler `h`, in partition 0: the row the table tests insert. */
export function plainInvocationRow(id: InvocationId, now: number): NewInvocationRow {
  return {
    id,
    partition: 0 as PartitionId,
    target: { service: "S", handler: "h", key: "" },
    serviceType: "SERVICE",
    handlerType: null,
    status: "invoked",
    idempotencyKey: null,
    caller: null,
    executionTime: null,
    retentionMs: null,
    now,
  };
}
