import type { AttemptInput, Effect, EffectSink, InvokerPort, JournalSource } from "../invoker/index.js";
import { partitionKeyForKey, partitionKeyOf, partitionOf, randomPartitionKey, type InvocationId, type PartitionKey } from "../protocol/index.js";
import { encodeEntry } from "./apply/context.js";
import type { CommandResult, ControlOp, HandlerInfo, OutcomeTarget, PartitionCommand, PartitionMessage, ServiceResolver, Started } from "./apply/declarations.js";
import { inputEntry } from "./apply/commands.js";
import { derivedInvocationIdOf, invocationIdFor, randomPartitionKeyIn } from "./apply/invocation-ids.js";
import type { StateMutation } from "./storage/state-mutation-table.js";
import { CompletionWaiters } from "./completion-waiters.js";
import { GroupCommitter } from "./group-commit.js";
import { LeaseLostError } from "./lease-errors.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { PartitionProcessor, type Clock, type ProcessorEvent } from "./partition-processor.js";
import { planPlacement, rankNodes } from "./placement.js";
import { InvocationMovedError, NotLeaderError } from "./partition-errors.js";
import type { PartitionStats } from "./partition-stats.js";
import type { Lease, LeaseStore } from "./storage/lease-store.js";
import type { PartitionStore } from "./storage/partition-store.js";
import type { InvocationOutcome, InvocationRecord, InvocationTarget, LeaderEpoch, PartitionId } from "./types.js";

const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const DEFAULT_LEASE_TTL_MS = 10_000;

/** Longest wait between two attempts to take leases while the lease store keeps failing, in ms. */
const MAX_ACQUIRE_BACKOFF_MS = 5_000;

/** Delay before firing timers again after the firing failed to commit. */
const TIMER_RETRY_MS = 500;

export interface PartitionSetOptions {
  /** Where the partitions' state lives, opened and migrated. */
  readonly store: PartitionStore;
  readonly leases: LeaseStore;
  readonly partitionCount: number;
  /** This node's name in the lease table. */
  readonly holder: string;
  readonly services: ServiceResolver;
  /** Lease length in ms; renewed every third. Default 10 s. */
  readonly leaseTtlMs?: number;
  /** How often completed invocations past their retention are deleted, in ms. Default 5 s. */
  readonly expiryIntervalMs?: number;
  readonly clock?: Clock;
  /**
   * The cluster's live nodes, when several share the store: partitions are then spread evenly over
   * them (partition/placement.ts). Without it this node alone leads every partition.
   */
  readonly members?: ClusterMembers;
  readonly onEvent?: (event: ProcessorEvent) => void;
  readonly onError?: (error: Error) => void;
  /** Told of started and completed invocations and of each group commit (metrics); must be cheap. */
  readonly stats?: PartitionStats;
}

/** Who else leads partitions from the same store (postgres/node-directory.ts). */
export interface ClusterMembers {
  /** The ids of the nodes alive now, as their holder names in the lease store. */
  liveNodes(): Promise<readonly string[]>;
}

export interface NewInvocation {
  readonly target: InvocationTarget;
  readonly handler: HandlerInfo;
  readonly body: Uint8Array;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly idempotencyKey?: string | null;
  /** Epoch ms to start at (delayed send); undefined = now. */
  readonly executionTime?: number;
}

/**
 * All partitions of this node: routes commands to the processor that owns the key, keeps their leases,
 * carries outbox messages and timers, and serves the invoker both seams (effects in, journals out).
 */
export class PartitionSet implements EffectSink, JournalSource {
  readonly store: PartitionStore;
  readonly committer: GroupCommitter;
  readonly waiters = new CompletionWaiters();
  readonly #leases: LeaseStore;
  /** Partitions whose leases are being taken: a second attempt waits for the first. */
  readonly #acquiring = new Set<number>();
  /** Partitions being handed over to another node (stepped down, lease not yet released). */
  readonly #releasing = new Set<number>();
  /** Placement (with members): the live nodes as last seen and since when, and since when each free partition is free. */
  #live: { key: string; since: number } | undefined;
  readonly #freeSince = new Map<number, number>();
  #placing = false;
  readonly #processors: PartitionProcessor[] = [];
  readonly #keepers: LeaseKeeper[] = [];
  readonly #options: PartitionSetOptions;
  readonly #clock: Clock;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Lease store failures in a row, and when the retry rounds may try again (clock ms). */
  #acquireFailures = 0;
  #acquireNotBefore = 0;
  /** Retry rounds run every half lease. */
  #retryEveryMs = DEFAULT_LEASE_TTL_MS / 2;
  #expiryTimer: NodeJS.Timeout | undefined;
  #timer: { at: number; handle: NodeJS.Timeout } | undefined;
  /**
   * Outbox messages for partitions not led here yet (after a restart, partitions take their leases one
   * after another and a leader re-delivers its outbox at once), by target partition and outbox seq.
   * Handed over when the target starts leading. Only a copy: the row stays in the sender's outbox until
   * the delivery commits, and the sender's next leader delivers it again if this process dies.
   */
  readonly #awaitingLeader = new Map<number, Map<number, PartitionMessage>>();
  #closed = false;

  constructor(options: PartitionSetOptions) {
    this.#options = options;
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.store = options.store;
    this.committer = new GroupCommitter(options.store, options.onError, options.stats, (error) => {
      // A shared store refused the batch because another node took a partition over (its fence):
      // this node stops leading it; its next leader has the partition's state from the store.
      if (error instanceof LeaseLostError) void this.stepDown(error.partition, error.message);
    });
    this.#leases = options.leases;
  }

  get partitionCount(): number {
    return this.#options.partitionCount;
  }

  /**
   * Creates the processors and takes every lease it can (resolves once those lead); partitions it
   * cannot lead are retried.
   */
  async start(invoker: InvokerPort): Promise<void> {
    const ttlMs = this.#options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    const hooks = {
      deliver: (seq: number, target: number, message: PartitionMessage) => this.#deliver(seq, target, message),
      timerDue: (fireAt: number) => this.#timerDue(fireAt),
    };
    for (let i = 0; i < this.#options.partitionCount; i++) {
      const processor = new PartitionProcessor({
        id: i as PartitionId,
        partitionCount: this.#options.partitionCount,
        store: this.store,
        committer: this.committer,
        invoker,
        waiters: this.waiters,
        services: this.#options.services,
        hooks,
        clock: this.#clock,
        onEvent: this.#options.onEvent,
        stats: this.#options.stats,
      });
      const keeper = new LeaseKeeper({
        store: this.#leases,
        partition: i,
        ttlMs,
        onLost: (reason) => this.#stepDown(i, `lease lost: ${reason.message}`),
        onError: this.#options.onError,
      });
      this.#processors.push(processor);
      this.#keepers.push(keeper);
    }
    // A cluster looks at its members and leases often, so that a partition released by a node that
    // stops is taken at once; a node alone only retries what it could not take.
    this.#retryEveryMs = this.#options.members === undefined ? Math.max(50, Math.floor(ttlMs / 2)) : Math.min(1_000, Math.max(50, Math.floor(ttlMs / 4)));
    this.#retryTimer = setInterval(() => {
      if (this.#clock.now() >= this.#acquireNotBefore) this.#round().catch((error: unknown) => this.#report(error));
    }, this.#retryEveryMs);
    this.#retryTimer.unref();
    this.#expiryTimer = setInterval(() => this.#expire(), this.#options.expiryIntervalMs ?? 5_000);
    this.#expiryTimer.unref();
    await this.#round();
  }

  processor(partition: number): PartitionProcessor | undefined {
    return this.#processors[partition];
  }

  /** Steps one partition down and releases its lease (resolves once released); the others keep working. */
  async stepDown(partition: number, reason: string): Promise<void> {
    this.#stepDown(partition, reason);
    await this.#keepers[partition]?.release();
  }

  /** Tries to lead one partition now (after a step-down); resolves with whether it leads. */
  async lead(partition: number): Promise<boolean> {
    if (this.#processors[partition] === undefined) return false;
    await this.#leadPartitions([partition]);
    return this.#processors[partition]!.isLeader;
  }

  /**
   * Makes a new invocation durable and hands it to its partition. Resolves with its id, or with the id
   * an idempotency key or workflow id already named (`existing`).
   */
  async invoke(invocation: NewInvocation): Promise<Started> {
    const idempotencyKey = invocation.idempotencyKey ?? null;
    const invocationId = invocationIdFor(invocation.target, invocation.handler, idempotencyKey, () => this.#freshPartitionKey());
    const result = await this.#processorFor(invocationId).propose({
      kind: "invoke",
      spec: {
        invocationId,
        target: invocation.target,
        handler: invocation.handler,
        input: encodeEntry(inputEntry(invocation.body, invocation.headers)),
        idempotencyKey,
        caller: null,
        executionTime: invocation.executionTime ?? null,
      },
    });
    return result.started!;
  }

  /** Applies a message from outside (an awakeable completed over ingress) in its target's partition. */
  async send(invocationId: InvocationId, message: PartitionMessage): Promise<CommandResult> {
    return this.#processorFor(invocationId).propose({ kind: "message", message });
  }

  /**
   * Replaces the whole state of one object or workflow key, once no exclusive handler holds the key
   * (queued behind those that arrived first). Resolves once the request is durable, not when applied.
   */
  async mutateState(mutation: StateMutation): Promise<void> {
    const partition = partitionOf(partitionKeyForKey(mutation.service, mutation.key), this.#options.partitionCount);
    await this.#processors[partition]!.propose({ kind: "mutate-state", mutation });
  }

  /** An operator action on one invocation (cancel, kill, purge, pause, resume). */
  /** `deployment`: for `resume`, the deployment a paused or suspended pinned invocation moves to. */
  async control(op: ControlOp, invocationId: InvocationId, deployment?: string): Promise<CommandResult> {
    return this.#processorFor(invocationId).propose({ kind: "control", op, invocationId, deployment });
  }

  /**
   * Restarts a completed invocation as a new one, its journal copied up to entry `copyUpTo` (0: the
   * input), pinned as the original was, on `deployment` when given.
   */
  async restartAsNew(invocationId: InvocationId, copyUpTo: number, deployment?: string): Promise<CommandResult> {
    return this.#processorFor(invocationId).propose({ kind: "restart-as-new", invocationId, copyUpTo, deployment });
  }

  propose(effect: Effect): Promise<CommandResult> {
    const processor = this.#processors[effect.fence.partition];
    if (processor === undefined) return Promise.resolve({ applied: false });
    return processor.propose(effect);
  }

  loadAttemptInput(invocationId: InvocationId): AttemptInput | undefined {
    const record = this.store.invocations.get(invocationId);
    if (record === undefined || record.status === "completed") return undefined;
    const keyed = record.serviceType !== "SERVICE";
    return {
      invocationId,
      service: record.target.service,
      handler: record.target.handler,
      key: record.target.key,
      keyed,
      retryCount: record.retryCount,
      ...(record.pinned === null ? {} : { pinned: record.pinned }),
      journal: this.store.invocations.readJournal(invocationId),
      // Objects and workflows get their whole state eagerly, as Restate does by default.
      state: keyed
        ? { entries: this.store.state.all(record.target.service, record.target.key), partial: false }
        : { entries: [], partial: true },
    };
  }

  /**
   * The invocation as stored. NotLeaderError (503) when it is not found and its partition is not led
   * here: a shared store keeps no rows of such a partition in memory, so "not found" would be a guess.
   */
  getInvocation(invocationId: string): InvocationRecord | undefined {
    const record = this.store.invocations.get(invocationId);
    if (record === undefined) this.#mustLead(invocationId as InvocationId);
    return record;
  }

  /** The invocation an idempotency key or workflow id names, if any. */
  findInvocation(target: OutcomeTarget): InvocationId | undefined {
    switch (target.kind) {
      case "id":
        return target.invocationId;
      case "workflow":
        return this.store.idempotency.workflowRun(target.service, target.key) ?? this.#mustLead(derivedInvocationIdOf(target));
      case "idempotent":
        return this.store.idempotency.get(target.service, target.key, target.handler, target.idempotencyKey) ?? this.#mustLead(derivedInvocationIdOf(target));
    }
  }

  /** Throws NotLeaderError unless the partition of `invocationId` is led here (see getInvocation). */
  #mustLead(invocationId: InvocationId): undefined {
    const processor = this.#processorFor(invocationId);
    if (!processor.isLeader) throw new NotLeaderError(processor.id);
    return undefined;
  }

  /** Resolves with the invocation's outcome once it completes (at once if it already has). */
  async awaitCompletion(invocationId: InvocationId, signal?: AbortSignal): Promise<InvocationOutcome> {
    const waiting = this.waiters.wait(invocationId, signal);
    const record = this.store.invocations.get(invocationId);
    if (record?.outcome != null) this.waiters.complete(invocationId, record.outcome);
    else if (this.#options.members !== undefined) {
      // Its partition left this node before the caller began to wait: nothing here would complete it.
      const processor = this.#processorFor(invocationId);
      if (!processor.isLeader) this.waiters.fail((id) => id === invocationId, () => new InvocationMovedError(processor.id, invocationId));
    }
    return waiting;
  }

  /**
   * Commits what is queued, then steps every partition down and releases the leases; resolves once
   * they are released. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#retryTimer);
    clearInterval(this.#expiryTimer);
    if (this.#timer !== undefined) clearTimeout(this.#timer.handle);
    // Apply first: effects proposed before shutdown are applied under the epoch they were made in. The
    // leases go once that batch is durable, so no next leader can start before it.
    const committed = this.committer.close();
    this.#awaitingLeader.clear();
    this.#processors.forEach((_, i) => this.#stepDown(i, "node shutting down"));
    await committed;
    await Promise.all(this.#keepers.map((k) => k.close()));
  }

  /** Stops leading `partition` here: its processor, then what the store keeps of it in memory. */
  #stepDown(partition: number, reason: string): void {
    const processor = this.#processors[partition];
    if (processor === undefined || !processor.isLeader) return;
    processor.stepDown(reason);
    this.store.dropPartition(partition as PartitionId);
    // In a cluster, callers waiting here for its invocations attach to them at the partition's next
    // leader instead. A node alone leads it again itself: its callers keep waiting.
    if (this.#options.members === undefined) return;
    const inPartition = (id: string) => partitionOf(partitionKeyOf(id as InvocationId), this.#options.partitionCount) === partition;
    this.waiters.fail(inPartition, (id) => new InvocationMovedError(partition, id));
  }

  /**
   * The partition key of an invocation free to live in any partition (a plain call without idempotency
   * key): in a partition led here when there is one. In a cluster a key in another node's partition
   * would send the request there, where the leader, drawing a key of its own, could land in a third.
   */
  #freshPartitionKey(): PartitionKey {
    const led = this.#processors.filter((p) => p.isLeader).map((p) => p.id);
    return led.length === 0 ? randomPartitionKey() : randomPartitionKeyIn(led, this.#options.partitionCount);
  }

  #processorFor(invocationId: InvocationId): PartitionProcessor {
    return this.#processors[partitionOf(partitionKeyOf(invocationId), this.#options.partitionCount)]!;
  }

  #report(error: unknown): void {
    this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }

  /** One round of taking leases: every partition for a node alone, its share in a cluster. */
  async #round(): Promise<void> {
    if (this.#options.members === undefined) return this.#leadPartitions(this.#processors.map((_, i) => i));
    if (this.#placing || this.#closed) return;
    this.#placing = true;
    try {
      await this.#place(this.#options.members);
    } catch (error) {
      this.#backOff(error);
    } finally {
      this.#placing = false;
    }
  }

  /**
   * Reads the live nodes and the leases, takes the free partitions up to this node's share and hands
   * over those above it (partition/placement.ts).
   */
  async #place(members: ClusterMembers): Promise<void> {
    const [liveNodes, snapshot] = await Promise.all([members.liveNodes(), this.#leases.snapshot()]);
    const now = this.#clock.now();
    const key = rankNodes(this.#options.holder, liveNodes).join("\n");
    if (this.#live?.key !== key) this.#live = { key, since: now };
    // Judged in rounds rather than a fixed time, so a short lease (tests) settles as fast as it fails over.
    const settleMs = 2 * this.#retryEveryMs;
    const leased = new Map(snapshot.leases.map((l) => [l.partition, l]));
    const overdue = new Set<number>();
    for (let p = 0; p < this.#processors.length; p++) {
      const lease = leased.get(p);
      if (lease !== undefined && lease.expiresAt > snapshot.now) {
        this.#freeSince.delete(p);
        continue;
      }
      const since = this.#freeSince.get(p) ?? now;
      this.#freeSince.set(p, since);
      // Free for two rounds and nobody took it (the nodes disagree on who is live): anyone takes it.
      if (now - since >= settleMs) overdue.add(p);
    }
    const plan = planPlacement({
      self: this.#options.holder,
      partitionCount: this.#processors.length,
      liveNodes,
      leases: snapshot.leases,
      now: snapshot.now,
      leading: new Set(this.#processors.filter((p) => p.isLeader).map((p) => p.id as number)),
      taking: this.#acquiring,
      releasing: this.#releasing,
      overdue,
      settled: now - this.#live.since >= settleMs,
    });
    for (const partition of plan.handOver) void this.#handOver(partition);
    if (plan.take.length > 0) await this.#leadPartitions(plan.take);
  }

  /**
   * Gives `partition` to another node (placement): stops leading it, waits until what was applied
   * under its epoch is durable, then releases the lease for the next leader to take at once.
   */
  async #handOver(partition: number): Promise<void> {
    this.#releasing.add(partition);
    try {
      this.#stepDown(partition, "handed over: partitions are spread evenly over the cluster's nodes");
      // A barrier: it commits in a batch after every command queued before it.
      await this.committer.submit(() => ({ result: undefined })).catch(() => undefined);
      await this.#keepers[partition]!.release();
    } finally {
      this.#releasing.delete(partition);
    }
  }

  /**
   * The store is unreachable or failing: later rounds try again, each failure in a row waiting twice
   * as long (from a round, up to MAX_ACQUIRE_BACKOFF_MS) so a store that is down is not asked every round.
   */
  #backOff(error: unknown): void {
    const everyMs = this.#retryEveryMs;
    const backoffMs = Math.min(Math.max(everyMs, MAX_ACQUIRE_BACKOFF_MS), everyMs * 2 ** Math.min(this.#acquireFailures, 16));
    this.#acquireFailures++;
    this.#acquireNotBefore = this.#clock.now() + backoffMs;
    this.#report(error);
  }

  /** Takes the leases it can of `partitions` (one write: one fsync), then leads those it got. */
  async #leadPartitions(partitions: readonly number[]): Promise<void> {
    if (this.#closed) return;
    const wanted = partitions.filter((i) => !this.#processors[i]!.isLeader && !this.#acquiring.has(i) && !this.#releasing.has(i));
    if (wanted.length === 0) return;
    // Each stays "being taken" until it leads or is given up, so no round takes it a second time.
    for (const i of wanted) this.#acquiring.add(i);
    try {
      const ttlMs = this.#options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
      let leases: Lease[];
      try {
        leases = await this.#leases.acquire(wanted, this.#options.holder, ttlMs);
        this.#acquireFailures = 0;
        this.#acquireNotBefore = 0;
      } catch (error) {
        this.#backOff(error);
        return;
      }
      for (const lease of leases) await this.#leadTaken(lease);
    } finally {
      for (const i of wanted) this.#acquiring.delete(i);
    }
  }

  /** Leads the partition of a lease just taken: loads its rows, then its processor leads. */
  async #leadTaken(lease: Lease): Promise<void> {
    const keeper = this.#keepers[lease.partition]!;
    const partition = lease.partition as PartitionId;
    if (this.#closed) {
      // Closed while the leases were being taken: give this one back at once.
      await this.#leases.release(lease).catch(() => undefined);
      return;
    }
    keeper.hold(lease);
    try {
      // A store shared by nodes brings the partition's rows into memory first.
      await this.store.loadPartition(partition);
    } catch (error) {
      this.#report(error);
      await keeper.release();
      return;
    }
    if (this.#closed || keeper.lease !== lease) {
      // Closed, or the lease was lost while loading: lead nothing.
      this.store.dropPartition(partition);
      if (keeper.lease === lease) await keeper.release();
      return;
    }
    const processor = this.#processors[lease.partition]!;
    processor.lead(lease.epoch as LeaderEpoch);
    this.#handOverAwaiting(processor.id);
  }

  /**
   * Carries an outbox message to its target partition. A target that does not lead here (yet) is not
   * an error: the message waits for it to lead. Other failures (storage) are reported and retried; the
   * outbox row stays until a delivery commits.
   */
  #deliver(seq: number, target: number, message: PartitionMessage): void {
    const processor = this.#processors[target];
    if (processor === undefined || this.#closed) return;
    if (!processor.isLeader) {
      this.#awaitLeader(seq, target, message);
      return;
    }
    processor.propose({ kind: "deliver", seq, message }).catch((error: unknown) => {
      if (this.#closed) return;
      // Leadership ended between proposing and applying: wait for the next leader like above.
      if (error instanceof NotLeaderError) {
        this.#awaitLeader(seq, target, message);
        return;
      }
      this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
      setTimeout(() => this.#deliver(seq, target, message), 1000).unref();
    });
  }

  #awaitLeader(seq: number, target: number, message: PartitionMessage): void {
    let waiting = this.#awaitingLeader.get(target);
    if (waiting === undefined) this.#awaitingLeader.set(target, (waiting = new Map()));
    // Keyed by seq: a message re-delivered by a new leader of its sender waits once.
    waiting.set(seq, message);
    this.#options.onEvent?.({ type: "delivery-awaits-leader", partition: target as PartitionId, seq });
    // The target may have started leading while the proposal was in flight.
    if (this.#processors[target]?.isLeader === true) this.#handOverAwaiting(target);
  }

  #handOverAwaiting(partition: number): void {
    const waiting = this.#awaitingLeader.get(partition);
    if (waiting === undefined) return;
    this.#awaitingLeader.delete(partition);
    for (const [seq, message] of waiting) this.#deliver(seq, partition, message);
  }

  /** One process-wide timer, set for the earliest due time any partition reported. */
  #timerDue(fireAt: number): void {
    if (this.#closed) return;
    if (this.#timer !== undefined && this.#timer.at <= fireAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer.handle);
    // setTimeout fires at once for delays past 2^31-1 ms (~24.8 days); waking early is harmless: the
    // firing finds nothing due and sets the next wake-up.
    const delay = Math.min(MAX_TIMEOUT_MS, Math.max(0, fireAt - this.#clock.now()));
    const handle = setTimeout(() => {
      this.#timer = undefined;
      this.#fireTimers();
    }, delay);
    this.#timer = { at: fireAt, handle };
  }

  #fireTimers(): void {
    for (const processor of this.#processors) {
      if (!processor.isLeader) continue;
      processor.propose({ kind: "fire-timers" }).catch((error: unknown) => {
        // It stepped down meanwhile: its next leader sets its timers again when it leads.
        if (this.#closed || error instanceof NotLeaderError) return;
        this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
        // The due timers are still stored: try again shortly (storage may recover).
        this.#timerDue(this.#clock.now() + TIMER_RETRY_MS);
      });
    }
  }

  #expire(): void {
    // Each partition deletes batch after batch until nothing due is left; invocations interleave.
    const drain = async (processor: PartitionProcessor): Promise<void> => {
      while (!this.#closed && processor.isLeader && (await processor.propose({ kind: "expire" })).more === true);
    };
    const passes = this.#processors.filter((p) => p.isLeader).map(drain);
    void Promise.allSettled(passes).then(() => {
      if (this.#closed) return;
      // Give the space freed by expired invocations back, a bounded amount per pass.
      try {
        this.store.compact();
      } catch (error) {
        this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }
}

export type { PartitionCommand };
