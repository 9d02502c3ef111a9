export { PartitionSet, type ClusterMembers, type NewInvocation, type PartitionSetOptions } from "./partition-set.js";
export { PartitionProcessor, type Clock, type ProcessorEvent } from "./partition-processor.js";
export type { PartitionStore, StorageBatch, StorageFaults, LeadershipFence } from "./storage/partition-store.js";
export type { Lease, LeaseStore } from "./storage/lease-store.js";
export { GroupCommitter, CommitterClosedError } from "./group-commit.js";
export type { PartitionStats } from "./partition-stats.js";
export { CompletionWaiters } from "./completion-waiters.js";
export { LeaseKeeper } from "./lease-keeper.js";
export { LeaseLostError } from "./lease-errors.js";
export { InvocationMovedError, NotLeaderError } from "./partition-errors.js";
export * from "./types.js";
export { applyCommand } from "./apply/apply.js";
export type {
  CommandResult,
  ControlOp,
  HandlerInfo,
  OutcomeTarget,
  PartitionAction,
  PartitionCommand,
  PartitionMessage,
  RestartRefusal,
  ServiceResolver,
  Started,
} from "./apply/declarations.js";
export { CommandRejected, inputEntry } from "./apply/commands.js";
export { journalPrefix, type PrefixRefusal } from "./apply/journal-prefix.js";
export { derivedInvocationIdOf, type DerivedIdTarget } from "./apply/invocation-ids.js";
export { controlRefusal, type ControlRefusal } from "./apply/control.js";
export type { StateMutation } from "./storage/state-mutation-table.js";
export { stateVersion } from "./apply/state-mutation.js";
export { encodeEntry } from "./apply/context.js";
export { notifications } from "./apply/frames.js";
