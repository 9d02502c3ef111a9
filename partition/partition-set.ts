import { create, toBinary } from "@bufbuild/protobuf";
import type { Database } from "better-sqlite3";
import type { AttemptInput, Effect, EffectOutcome, EffectSink, InvokerPort, JournalSource } from "../invoker/index.js";
import {
  InputCommandMessageSchema,
  MessageType,
  encodeFrame,
  newInvocationId,
  partitionKeyForKey,
  partitionOf,
  partitionKeyOf,
  randomPartitionKey,
  type InvocationId,
} from "../protocol/index.js";
import { CompletionWaiters } from "./completion-waiters.js";
import { GroupCommitter } from "./group-commit.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { LeaseTable } from "./lease-table.js";
import { PartitionProcessor, type Clock, type ProcessorEvent } from "./partition-processor.js";
import { PartitionStore } from "./store/partition-store.js";
import type { InvocationOutcome, InvocationRecord, InvocationTarget, LeaderEpoch, PartitionId } from "./types.js";

export interface PartitionSetOptions {
  readonly db: Database;
  readonly partitionCount: number;
  /** This node's name in the lease table. */
  readonly holder: string;
  /** Lease length in ms; renewed every third. Default 10 s. */
  readonly leaseTtlMs?: number;
  readonly clock?: Clock;
  readonly onEvent?: (event: ProcessorEvent) => void;
  readonly onError?: (error: Error) => void;
}

export interface NewInvocation {
  readonly target: InvocationTarget;
  readonly body: Uint8Array;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly idempotencyKey?: string | null;
}

/**
 * All partitions of this node: routes commands to the processor that owns the key, keeps their leases,
 * and serves the invoker both seams (effects in, journals out).
 */
export class PartitionSet implements EffectSink, JournalSource {
  readonly store: PartitionStore;
  readonly committer: GroupCommitter;
  readonly waiters = new CompletionWaiters();
  readonly #leases: LeaseTable;
  readonly #processors: PartitionProcessor[] = [];
  readonly #keepers: LeaseKeeper[] = [];
  readonly #options: PartitionSetOptions;
  readonly #clock: Clock;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: PartitionSetOptions) {
    this.#options = options;
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.store = new PartitionStore(options.db);
    this.committer = new GroupCommitter(options.db, options.onError);
    this.#leases = new LeaseTable(options.db, this.#clock);
  }

  get partitionCount(): number {
    return this.#options.partitionCount;
  }

  /** Creates the processors and takes every lease it can; partitions it cannot lead are retried. */
  start(invoker: InvokerPort): void {
    const ttlMs = this.#options.leaseTtlMs ?? 10_000;
    for (let i = 0; i < this.#options.partitionCount; i++) {
      const id = i as PartitionId;
      const processor = new PartitionProcessor({
        id,
        store: this.store,
        committer: this.committer,
        invoker,
        waiters: this.waiters,
        clock: this.#clock,
        onEvent: this.#options.onEvent,
      });
      const keeper = new LeaseKeeper({
        table: this.#leases,
        partition: i,
        holder: this.#options.holder,
        ttlMs,
        onLost: (reason) => processor.stepDown(`lease lost: ${reason.message}`),
      });
      this.#processors.push(processor);
      this.#keepers.push(keeper);
    }
    this.#leadWhatWeCan();
    this.#retryTimer = setInterval(() => this.#leadWhatWeCan(), Math.max(50, Math.floor(ttlMs / 2)));
    this.#retryTimer.unref();
  }

  processor(partition: number): PartitionProcessor | undefined {
    return this.#processors[partition];
  }

  /** Steps one partition down and releases its lease; the others keep working. */
  stepDown(partition: number, reason: string): void {
    this.#processors[partition]?.stepDown(reason);
    this.#keepers[partition]?.release();
  }

  /** Tries to lead one partition now (after a step-down); returns whether it leads. */
  lead(partition: number): boolean {
    const processor = this.#processors[partition];
    const keeper = this.#keepers[partition];
    if (processor === undefined || keeper === undefined || this.#closed) return false;
    if (processor.isLeader) return true;
    const lease = keeper.acquire();
    if (lease === null) return false;
    processor.lead(lease.epoch as LeaderEpoch);
    return true;
  }

  /** Makes a new invocation durable and hands it to its partition; resolves with its id. */
  async invoke(invocation: NewInvocation): Promise<InvocationId> {
    const { target } = invocation;
    const partitionKey = target.key === "" ? randomPartitionKey() : partitionKeyForKey(target.service, target.key);
    const invocationId = newInvocationId(partitionKey);
    const processor = this.#processorFor(invocationId);
    const input = create(InputCommandMessageSchema, {
      headers: invocation.headers.map(([key, value]) => ({ key, value })),
      value: { content: invocation.body },
    });
    await processor.propose({
      kind: "invoke",
      invocationId,
      target,
      input: { type: MessageType.InputCommand, frame: encodeFrame(MessageType.InputCommand, toBinary(InputCommandMessageSchema, input)) },
      idempotencyKey: invocation.idempotencyKey ?? null,
    });
    return invocationId;
  }

  propose(effect: Effect): Promise<EffectOutcome> {
    const processor = this.#processors[effect.fence.partition];
    if (processor === undefined) return Promise.resolve({ applied: false });
    return processor.propose(effect);
  }

  loadAttemptInput(invocationId: InvocationId): AttemptInput | undefined {
    const record = this.store.getInvocation(invocationId);
    if (record === undefined || record.status === "completed") return undefined;
    return {
      invocationId,
      service: record.target.service,
      handler: record.target.handler,
      key: record.target.key,
      retryCount: record.retryCount,
      journal: this.store.readJournal(invocationId),
    };
  }

  getInvocation(invocationId: string): InvocationRecord | undefined {
    return this.store.getInvocation(invocationId);
  }

  /** Resolves with the invocation's outcome once it completes (at once if it already has). */
  async awaitCompletion(invocationId: InvocationId, signal?: AbortSignal): Promise<InvocationOutcome> {
    const waiting = this.waiters.wait(invocationId, signal);
    const record = this.store.getInvocation(invocationId);
    if (record?.outcome != null) this.waiters.complete(invocationId, record.outcome);
    return waiting;
  }

  /** Commits what is queued, then steps every partition down and releases the leases. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer !== undefined) clearInterval(this.#retryTimer);
    // Commit first: effects proposed before shutdown are applied under the epoch they were made in.
    this.committer.close();
    this.#processors.forEach((p, i) => {
      p.stepDown("node shutting down");
      this.#keepers[i]?.close();
    });
  }

  #processorFor(invocationId: InvocationId): PartitionProcessor {
    const partition = partitionOf(partitionKeyOf(invocationId), this.#options.partitionCount);
    return this.#processors[partition]!;
  }

  #leadWhatWeCan(): void {
    for (let i = 0; i < this.#processors.length; i++) {
      if (!this.#processors[i]!.isLeader) this.lead(i);
    }
  }
}
