import type { InvokerPort } from "../invoker/index.js";
import type { GroupCommitter } from "./group-commit.js";
import { applyCommand } from "./apply/apply.js";
import type { CommandResult, PartitionAction, PartitionCommand, PartitionMessage, ServiceResolver } from "./apply/declarations.js";
import type { CompletionWaiters } from "./completion-waiters.js";
import { StetError } from "../protocol/errors.js";
import { NotLeaderError } from "./partition-errors.js";
import type { PartitionStats } from "./partition-stats.js";
import type { PartitionStore } from "./storage/partition-store.js";
import type { LeaderEpoch, PartitionId } from "./types.js";

export interface Clock {
  now(): number;
}

export type ProcessorEvent =
  | { readonly type: "leading"; readonly partition: PartitionId; readonly epoch: LeaderEpoch; readonly recovered: number }
  | { readonly type: "stepped-down"; readonly partition: PartitionId; readonly reason: string }
  /** An outbox message (by its seq) waits for `partition` to lead here before it is delivered. */
  | { readonly type: "delivery-awaits-leader"; readonly partition: PartitionId; readonly seq: number };

/** What a processor asks of the node once a command is durable. */
export interface ProcessorHooks {
  /** Carries an outbox message to its target partition. */
  deliver(seq: number, targetPartition: number, message: PartitionMessage): void;
  /** A timer is due at `fireAt` (epoch ms). */
  timerDue(fireAt: number): void;
}

export interface PartitionProcessorOptions {
  readonly id: PartitionId;
  readonly partitionCount: number;
  readonly store: PartitionStore;
  readonly committer: GroupCommitter;
  readonly invoker: InvokerPort;
  readonly waiters: CompletionWaiters;
  readonly services: ServiceResolver;
  readonly hooks: ProcessorHooks;
  readonly clock: Clock;
  readonly onEvent?: (event: ProcessorEvent) => void;
  readonly stats?: PartitionStats;
}

/**
 * One partition: applies commands while it leads (epoch from its lease), feeds the invoker, and steps
 * down on request or on lease loss. A step-down touches this partition only.
 */
export class PartitionProcessor {
  readonly id: PartitionId;
  #epoch: LeaderEpoch | null = null;
  /**
   * Attempts with an effect that failed to apply. Attempts propose effects without waiting for the
   * previous ones to commit (End right after the commands before it, one fsync for both), so a later
   * effect must not apply after an earlier one of the same attempt failed in the same batch.
   */
  readonly #poisoned = new Set<string>();

  constructor(private readonly options: PartitionProcessorOptions) {
    this.id = options.id;
  }

  get epoch(): LeaderEpoch | null {
    return this.#epoch;
  }

  get isLeader(): boolean {
    return this.#epoch !== null;
  }

  /** Becomes leader at `epoch` (the lease is held by the caller), then re-feeds unfinished work. */
  lead(epoch: LeaderEpoch): void {
    const { invoker, store, hooks } = this.options;
    this.#epoch = epoch;
    invoker.registerPartition(this.id, epoch);
    let recovered = 0;
    for (const record of store.invocations.listUnfinished(this.id)) {
      if (record.status !== "invoked" && record.status !== "backing-off") continue;
      invoker.enqueue({ partition: this.id, leaderEpoch: epoch, invocationId: record.id });
      recovered++;
    }
    for (const row of store.outbox.pending(this.id)) {
      hooks.deliver(row.seq, row.targetPartition, JSON.parse(row.message) as PartitionMessage);
    }
    const nextTimer = store.timers.earliest(this.id);
    if (nextTimer !== undefined) hooks.timerDue(nextTimer);
    this.options.onEvent?.({ type: "leading", partition: this.id, epoch, recovered });
  }

  stepDown(reason: string): void {
    if (this.#epoch === null) return;
    this.#epoch = null;
    this.options.invoker.abortPartition(this.id);
    this.options.onEvent?.({ type: "stepped-down", partition: this.id, reason });
  }

  /** Applies `command` in the next group commit; resolves once it is durable. */
  propose(command: PartitionCommand): Promise<CommandResult> {
    const epoch = this.#epoch;
    if (epoch === null) {
      if ("fence" in command) return Promise.resolve({ applied: false });
      return Promise.reject(new NotLeaderError(this.id));
    }
    const { store, clock, committer, services, partitionCount } = this.options;
    return committer.submit<CommandResult>(() => {
      // Leadership may have ended between proposing and applying: such commands are fenced, not applied.
      if (this.#epoch !== epoch) {
        if (!("fence" in command)) throw new NotLeaderError(this.id);
        return { result: { applied: false } };
      }
      const attemptKey = "fence" in command ? `${command.fence.invocationId}/${command.fence.attempt}/${epoch}` : undefined;
      // Recording the attempt's failure is how a poisoned attempt ends, so that effect always applies.
      if (attemptKey !== undefined && command.kind !== "attempt-failed" && this.#poisoned.has(attemptKey)) {
        throw new StetError("STET_ATTEMPT_POISONED", "an earlier effect of this attempt could not be applied", { status: 500 });
      }
      const actions: PartitionAction[] = [];
      let result: CommandResult;
      try {
        result = applyCommand({ store, partition: this.id, epoch, partitionCount, now: clock.now(), services, actions }, command);
      } catch (error) {
        if (attemptKey !== undefined) this.#poisoned.add(attemptKey);
        throw error;
      }
      // Once the attempt's failure is recorded its fence is stale anyway: forget the mark.
      if (command.kind === "attempt-failed" && attemptKey !== undefined) this.#poisoned.delete(attemptKey);
      return { result, after: actions.length === 0 ? undefined : () => this.#run(epoch, actions) };
    }, { partition: this.id, leaderEpoch: epoch });
  }

  #run(epoch: LeaderEpoch, actions: readonly PartitionAction[]): void {
    const { invoker, waiters, hooks } = this.options;
    const leading = this.#epoch === epoch;
    for (const action of actions) {
      switch (action.kind) {
        case "enqueue":
          if (leading) invoker.enqueue({ partition: this.id, leaderEpoch: epoch, invocationId: action.invocationId });
          break;
        case "notify":
          if (leading) invoker.notify(action.invocationId, action.entry.frame);
          break;
        case "abort":
          invoker.abortInvocation(action.invocationId);
          break;
        case "started":
          this.options.stats?.invocationStarted(action.target);
          break;
        case "completed":
          waiters.complete(action.invocationId, action.outcome);
          this.options.stats?.invocationCompleted(action.target, action.outcome);
          break;
        case "outbox":
          hooks.deliver(action.seq, action.targetPartition, action.message);
          break;
        case "timer":
          hooks.timerDue(action.fireAt);
          break;
      }
    }
  }
}
