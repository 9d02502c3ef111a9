import type { EffectOutcome, InvokerPort } from "../invoker/index.js";
import type { GroupCommitter } from "./group-commit.js";
import { applyCommand, type PartitionAction, type PartitionCommand } from "./apply.js";
import type { CompletionWaiters } from "./completion-waiters.js";
import { NotLeaderError } from "./partition-errors.js";
import type { PartitionStore } from "./store/partition-store.js";
import type { LeaderEpoch, PartitionId } from "./types.js";

export interface Clock {
  now(): number;
}

export type ProcessorEvent =
  | { readonly type: "leading"; readonly partition: PartitionId; readonly epoch: LeaderEpoch; readonly recovered: number }
  | { readonly type: "stepped-down"; readonly partition: PartitionId; readonly reason: string };

export interface PartitionProcessorOptions {
  readonly id: PartitionId;
  readonly store: PartitionStore;
  readonly committer: GroupCommitter;
  readonly invoker: InvokerPort;
  readonly waiters: CompletionWaiters;
  readonly clock: Clock;
  readonly onEvent?: (event: ProcessorEvent) => void;
}

/**
 * One partition: applies commands while it leads (epoch from its lease), feeds the invoker, and steps
 * down on request or on lease loss. A step-down touches this partition only.
 */
export class PartitionProcessor {
  readonly id: PartitionId;
  #epoch: LeaderEpoch | null = null;

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
    const { invoker, store } = this.options;
    this.#epoch = epoch;
    invoker.registerPartition(this.id, epoch);
    const unfinished = store.listUnfinished(this.id);
    let recovered = 0;
    for (const record of unfinished) {
      if (record.status === "suspended") continue;
      invoker.enqueue({ partition: this.id, leaderEpoch: epoch, invocationId: record.id });
      recovered++;
    }
    this.options.onEvent?.({ type: "leading", partition: this.id, epoch, recovered });
  }

  stepDown(reason: string): void {
    if (this.#epoch === null) return;
    this.#epoch = null;
    this.options.invoker.abortPartition(this.id);
    this.options.onEvent?.({ type: "stepped-down", partition: this.id, reason });
  }

  /** Applies `command` in the next group commit; resolves once it is durable. */
  propose(command: PartitionCommand): Promise<EffectOutcome> {
    const epoch = this.#epoch;
    if (epoch === null) {
      if (command.kind !== "invoke") return Promise.resolve({ applied: false });
      return Promise.reject(new NotLeaderError(this.id));
    }
    const { store, clock, committer } = this.options;
    return committer.submit(() => {
      // Leadership may have ended between proposing and applying: such commands are fenced, not applied.
      if (this.#epoch !== epoch) {
        if (command.kind === "invoke") throw new NotLeaderError(this.id);
        return { result: { applied: false } };
      }
      const { outcome, actions } = applyCommand({ store, partition: this.id, epoch, now: clock.now() }, command);
      return { result: outcome, after: actions.length === 0 ? undefined : () => this.#run(epoch, actions) };
    });
  }

  #run(epoch: LeaderEpoch, actions: readonly PartitionAction[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case "enqueue":
          if (this.#epoch === epoch)
            this.options.invoker.enqueue({ partition: this.id, leaderEpoch: epoch, invocationId: action.invocationId });
          break;
        case "completed":
          this.options.waiters.complete(action.invocationId, action.outcome);
          break;
      }
    }
  }
}
