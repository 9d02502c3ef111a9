import type { Effect } from "../../invoker/index.js";
import { toError } from "../../protocol/errors.js";
import { frameFromRaw, isAwaited, isNotification } from "../../protocol/index.js";
import type { ApplyContext } from "./context.js";
import type { CommandResult, PartitionCommand } from "./declarations.js";
import { CommandRejected, applyServiceCommand } from "./commands.js";
import { applyControl } from "./control.js";
import { applyMessage, completeInvocation, startInvocation } from "./lifecycle.js";
import { pinOnFirstWrite, repinOnResume } from "./pinning.js";
import { applyRestartAsNew } from "./restart-as-new.js";
import { expireInvocations, fireTimers } from "./timers.js";
import { mutateState } from "./state-mutation.js";

const APPLIED: CommandResult = { applied: true };
const STALE: CommandResult = { applied: false };

/**
 * The deterministic step of a partition: one command in, state changes plus post-commit actions out
 * (collected in `ctx.actions`). Runs inside the group-commit transaction; does no I/O besides the store.
 */
export function applyCommand(ctx: ApplyContext, command: PartitionCommand): CommandResult {
  switch (command.kind) {
    case "invoke":
      return { applied: true, started: startInvocation(ctx, command.spec) };
    case "deliver":
      // The outbox row goes in the same transaction as its effect: delivered exactly once.
      if (ctx.store.outbox.take(command.seq)) applyMessage(ctx, command.message);
      return APPLIED;
    case "fire-timers":
      fireTimers(ctx);
      return APPLIED;
    case "expire":
      return { applied: true, more: expireInvocations(ctx) };
    case "control":
      if (command.op === "resume" && command.deployment !== undefined) repinOnResume(ctx, command.invocationId, command.deployment);
      return applyControl(ctx, command.op, command.invocationId);
    case "restart-as-new":
      return applyRestartAsNew(ctx, command.invocationId, command.copyUpTo, command.deployment);
    case "message":
      applyMessage(ctx, command.message);
      return APPLIED;
    case "mutate-state":
      mutateState(ctx, command.mutation);
      return APPLIED;
    default:
      return applyEffect(ctx, command);
  }
}

function applyEffect(ctx: ApplyContext, effect: Effect): CommandResult {
  const { fence } = effect;
  if (fence.partition !== ctx.partition || fence.leaderEpoch !== ctx.epoch) return STALE;
  const { store } = ctx;
  const record = store.invocations.get(fence.invocationId);
  // The attempt number is the retry count when the attempt began: a failure bumps it and so fences
  // every effect still in flight from the failed attempt.
  if (record === undefined || record.status === "completed" || record.status === "paused" || record.retryCount !== fence.attempt) {
    return STALE;
  }
  const id = fence.invocationId;
  if (record.status !== "invoked" && effect.kind !== "attempt-failed") store.invocations.setStatus(id, "invoked", ctx.now);

  switch (effect.kind) {
    case "journal": {
      pinOnFirstWrite(ctx, record, effect.pin);
      let length = record.journalLength;
      for (const entry of effect.entries) {
        length = store.invocations.append(id, length, [entry], ctx.now);
        try {
          applyServiceCommand(ctx, record, entry);
        } catch (error) {
          if (error instanceof CommandRejected) throw error;
          throw new CommandRejected(`could not apply ${entry.type.toString(16)}: ${toError(error).message}`);
        }
        // A command can append notifications (completions); continue after them.
        length = store.invocations.get(id)!.journalLength;
      }
      return APPLIED;
    }
    case "run-completion":
      pinOnFirstWrite(ctx, record, effect.pin);
      store.invocations.append(id, record.journalLength, [effect.notification], ctx.now);
      return APPLIED;
    case "end":
      completeInvocation(ctx, record, effect.result);
      return APPLIED;
    case "suspended": {
      // Notifications stored after what the attempt saw (the newest entries) may already unblock it.
      const missed = record.journalLength - effect.entriesSeen;
      const awaiting = effect.awaiting;
      const unblocked =
        missed > 0 &&
        store.invocations
          .readJournalFrom(id, effect.entriesSeen)
          .some((e) => isNotification(e.type) && (awaiting === undefined || isAwaited(frameFromRaw(e.frame).payload, awaiting)));
      if (unblocked) {
        ctx.actions.push({ kind: "enqueue", invocationId: id });
        return APPLIED;
      }
      store.invocations.suspend(id, effect.awaiting ?? null, ctx.now);
      return APPLIED;
    }
    case "attempt-failed": {
      // The retry policy of the deployment its attempts run on (Restate's, too).
      const handler = ctx.services.resolve(record.target.service, record.target.handler, record.pinned?.deploymentId);
      const limit = handler?.maxAttempts ?? null;
      const exhausted = limit !== null && record.retryCount + 1 >= limit;
      store.invocations.recordFailure(id, effect.failure, exhausted ? "paused" : "backing-off", ctx.now);
      if (!exhausted) return APPLIED;
      if (handler?.onMaxAttempts === "KILL") {
        // Not killInvocation: Restate 1.7.12 ends this invocation alone, its children keep running.
        completeInvocation(ctx, store.invocations.get(id)!, { kind: "failure", code: 500, message: effect.failure });
        return { applied: true, exhausted: true, killed: true };
      }
      return { applied: true, exhausted: true };
    }
  }
}
