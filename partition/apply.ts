import type { InvocationId } from "../protocol/index.js";
import type { Effect, EffectOutcome, JournalFrame } from "../invoker/index.js";
import type { PartitionStore } from "./store/partition-store.js";
import type { InvocationOutcome, InvocationTarget, LeaderEpoch, PartitionId } from "./types.js";

/** A new invocation accepted by ingress; `input` is its ready-made InputCommand journal entry. */
export interface InvokeCommand {
  readonly kind: "invoke";
  readonly invocationId: InvocationId;
  readonly target: InvocationTarget;
  readonly input: JournalFrame;
  readonly idempotencyKey: string | null;
}

export type PartitionCommand = InvokeCommand | Effect;

/** What the processor does once the command is durable. */
export type PartitionAction =
  | { readonly kind: "enqueue"; readonly invocationId: InvocationId }
  | { readonly kind: "completed"; readonly invocationId: InvocationId; readonly outcome: InvocationOutcome };

export interface ApplyContext {
  readonly store: PartitionStore;
  readonly partition: PartitionId;
  readonly epoch: LeaderEpoch;
  readonly now: number;
}

export interface ApplyResult {
  readonly outcome: EffectOutcome;
  readonly actions: readonly PartitionAction[];
}

const STALE: ApplyResult = { outcome: { applied: false }, actions: [] };

/**
 * The deterministic step of a partition: one command in, state changes plus post-commit actions out.
 * Runs inside the group-commit transaction; does no I/O besides the store.
 */
export function applyCommand(ctx: ApplyContext, command: PartitionCommand): ApplyResult {
  if (command.kind === "invoke") return applyInvoke(ctx, command);

  const { fence } = command;
  if (fence.partition !== ctx.partition || fence.leaderEpoch !== ctx.epoch) return STALE;
  const record = ctx.store.getInvocation(fence.invocationId);
  // The attempt number is the retry count when the attempt began: a failure bumps it and so fences
  // every effect still in flight from the failed attempt.
  if (record === undefined || record.status === "completed" || record.retryCount !== fence.attempt) return STALE;
  const id = fence.invocationId;
  if (record.status !== "invoked" && command.kind !== "attempt-failed") ctx.store.setStatus(id, "invoked", ctx.now);

  switch (command.kind) {
    case "journal":
      ctx.store.appendEntries(id, record.journalLength, command.entries, ctx.now);
      return { outcome: { applied: true }, actions: [] };
    case "run-completion":
      ctx.store.appendEntries(id, record.journalLength, [command.notification], ctx.now);
      return { outcome: { applied: true }, actions: [] };
    case "end": {
      const outcome: InvocationOutcome = command.result;
      ctx.store.complete(id, outcome, ctx.now);
      return { outcome: { applied: true }, actions: [{ kind: "completed", invocationId: id, outcome }] };
    }
    case "suspended":
      // A notification stored after what the attempt saw can already unblock it: resume at once.
      if (record.journalLength > command.entriesSeen) {
        return { outcome: { applied: true }, actions: [{ kind: "enqueue", invocationId: id }] };
      }
      ctx.store.setStatus(id, "suspended", ctx.now);
      return { outcome: { applied: true }, actions: [] };
    case "attempt-failed":
      ctx.store.recordFailure(id, command.failure, ctx.now);
      return { outcome: { applied: true }, actions: [] };
  }
}

function applyInvoke(ctx: ApplyContext, command: InvokeCommand): ApplyResult {
  ctx.store.insertInvocation({
    id: command.invocationId,
    partition: ctx.partition,
    target: command.target,
    idempotencyKey: command.idempotencyKey,
    now: ctx.now,
  });
  ctx.store.appendEntries(command.invocationId, 0, [command.input], ctx.now);
  return { outcome: { applied: true }, actions: [{ kind: "enqueue", invocationId: command.invocationId }] };
}
