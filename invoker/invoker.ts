import { createActor, fromPromise } from "xstate";
import type { InvocationId, ProtocolVersion } from "../protocol/index.js";
import { StetError } from "../protocol/errors.js";
import { attemptMachine, withAttemptWork, type AttemptActorInput } from "./attempt-machine.js";
import { runAttempt, type AttemptOutcome } from "./attempt-runner.js";
import { targetLabel, type AttemptSubject, type InvokerEvent, type InvokerState } from "./invoker-events.js";
import { failureCode } from "./failure-code.js";
import { invokerLifecycleMachine } from "./lifecycle-machine.js";
import { LiveInvocation, type LiveInvocationState } from "./live-invocation.js";
import type { EffectSink, InvokerPort, JournalSource } from "./ports.js";
import { DEFAULT_RETRY_POLICY, retryDelay, type RetryPolicy } from "./retry-policy.js";
import { SegmentedQueue, type InvokeRequest } from "./segmented-queue.js";
import { Http1Transport } from "./transport/http1-transport.js";
import { Http2Transport } from "./transport/http2-transport.js";
import type { DeploymentTarget, Transport } from "./transport/transport.js";

export type { InvokerEvent, InvokerState } from "./invoker-events.js";

export interface ResolvedTarget {
  readonly target: DeploymentTarget;
  readonly retryPolicy: RetryPolicy;
  /** Silence (ms) after which a bidirectional attempt is asked to suspend; 0 = never. */
  readonly inactivityTimeoutMs: number;
  /** Time (ms) an attempt asked to suspend gets before it is cut; 0 = never. */
  readonly abortTimeoutMs: number;
}

export interface InvokerOptions {
  readonly sink: EffectSink;
  readonly journal: JournalSource;
  /**
   * Where a service's handler is served and how its attempts are retried: on the latest deployment of
   * the service, or on `pinnedDeploymentId` for an invocation pinned to it. Undefined when no deployment
   * serves the service, or the pinned one is gone (the attempt fails and is retried).
   */
  readonly resolveTarget: (service: string, handler: string, pinnedDeploymentId?: string) => ResolvedTarget | undefined;
  /** Folder for the input queue's spilled segments. */
  readonly spillDir: string;
  /**
   * Live invocations at most; the rest wait in the queue. Default 4096: a bidirectional attempt that
   * sleeps stays live until its inactivity timeout, so a low limit delays invocations behind sleepers
   * (W7 of the benchmark: 2000 one-second sleeps took two waves at 1024).
   */
  readonly concurrency?: number;
  /**
   * New invocations whose deployment has not answered yet, at most (default 256). With many invocations
   * ready at once (a burst of delayed sends coming due), starting thousands before the service answers
   * any only queues them inside the service while their streams and machines fill stet's heap: 20k due
   * at once drained ~26% faster at half the peak RSS (1660 → 2088 req/s, 303 → 163 MB) than with all
   * 4096 live slots open to them. Sleepers still fill the `concurrency` limit: they answer (with their
   * sleep) at once and free their start slot.
   */
  readonly startConcurrency?: number;
  /**
   * After this long without an answer an attempt stops holding a start slot. Default 250 ms: a hanging
   * deployment cannot stall the others, and handlers that work long before their first step (no
   * `ctx.run`) still start at ≥ 1000/s.
   */
  readonly slowStartMs?: number;
  /** Overrides every handler's retry policy (tests). */
  readonly retryPolicy?: RetryPolicy;
  /** Bound of the `draining` phase in ms. Default 5000. */
  readonly drainTimeoutMs?: number;
  /**
   * Silence (ms) of a live attempt after which an `attempt-silent` event is emitted, once per silence.
   * Default 60 000: Restate's default inactivity timeout, so a hung attempt is reported when stet asks
   * it to suspend rather than only when it is cut (inactivity plus abort timeout later). 0 = never.
   */
  readonly silentAttemptWarnMs?: number;
  /** Highest service protocol version offered. Default 6 (what Restate 1.7 negotiates). */
  readonly maxProtocolVersion?: ProtocolVersion;
  readonly transports?: { readonly http1: Transport; readonly http2: Transport };
  readonly onEvent?: (event: InvokerEvent) => void;
}

export class InvokerClosedError extends StetError {
  constructor(state: InvokerState) {
    super("STET_INVOKER_CLOSED", `the invoker is ${state} and takes no new work`, { status: 503 });
  }
}

/**
 * Takes invoke requests from the segmented queue under a concurrency limit and runs each invocation's
 * attempts as its own state machine. Holds no durable state: everything it learns goes to the
 * partitions as effects, and everything it needs it reads from them.
 */
export class Invoker implements InvokerPort {
  readonly #options: InvokerOptions;
  readonly #queue: SegmentedQueue;
  readonly #partitions = new Map<number, number>();
  readonly #live = new Map<string, LiveInvocation>();
  readonly #transports: { readonly http1: Transport; readonly http2: Transport };
  readonly #lifecycle;
  readonly #machine: typeof attemptMachine;
  readonly #closed: Promise<void>;
  #dispatchScheduled = false;
  /** Invocations started whose deployment has not answered yet, in start order, with the time they started. */
  readonly #unanswered = new Map<LiveInvocation, number>();
  #slowStartTimer: NodeJS.Timeout | undefined;
  #attemptsIdle: (() => void) | undefined;

  constructor(options: InvokerOptions) {
    this.#options = options;
    this.#transports = options.transports ?? { http1: new Http1Transport(), http2: new Http2Transport() };
    this.#queue = new SegmentedQueue({
      spillDir: options.spillDir,
      isLive: (partition, epoch) => this.#partitions.get(partition) === epoch,
    });
    this.#machine = this.#provideMachine();
    this.#lifecycle = createActor(
      invokerLifecycleMachine.provide({
        actions: {
          stopDispatching: () => {},
          stopAttempts: () => this.#signalAll("STOP"),
          abortAttempts: () => this.#signalAll("ABORT"),
          abortPartitions: () => this.#partitions.clear(),
          dropQueue: () => this.#queue.clear(),
        },
        actors: {
          awaitAttempts: fromPromise(() => this.#whenNoAttempts()),
          releaseTransports: fromPromise(async () => {
            this.#transports.http1.destroy();
            this.#transports.http2.destroy();
            this.#queue.close();
          }),
        },
      }),
      { input: { drainTimeoutMs: options.drainTimeoutMs ?? 5000 } },
    );
    this.#closed = new Promise((resolve) => {
      this.#lifecycle.subscribe((snapshot) => {
        options.onEvent?.({ type: "state", state: snapshot.value as InvokerState });
        if (snapshot.status === "done") resolve();
      });
    });
    this.#lifecycle.start();
  }

  get state(): InvokerState {
    return this.#lifecycle.getSnapshot().value as InvokerState;
  }

  /** Queued requests dropped because their partition was aborted or its leader changed. */
  get droppedCount(): number {
    return this.#queue.droppedCount;
  }

  get queueLength(): number {
    return this.#queue.length;
  }

  get liveCount(): number {
    return this.#live.size;
  }

  /** The input queue's segments on disk now, and written since start (read on demand by metrics). */
  get spill(): { readonly segments: number; readonly written: number } {
    return { segments: this.#queue.spilledSegmentCount, written: this.#queue.spilledSegmentsWritten };
  }

  /** What `sys_invocation_state` shows: each invocation held now, built when a query asks. */
  liveInvocationStates(): LiveInvocationState[] {
    const states: LiveInvocationState[] = [];
    for (const [id, live] of this.#live) states.push(live.snapshot(id));
    return states;
  }

  registerPartition(partition: number, leaderEpoch: number): void {
    if (this.state !== "running") return;
    this.#partitions.set(partition, leaderEpoch);
  }

  abortPartition(partition: number): void {
    this.#partitions.delete(partition);
    for (const live of this.#live.values()) if (live.partition === partition) live.actor.send({ type: "ABORT" });
  }

  notify(invocationId: InvocationId, frame: Uint8Array): void {
    // Without a live stream the next attempt reads the notification from the journal.
    this.#live.get(invocationId)?.deliver?.(frame);
  }

  abortInvocation(invocationId: InvocationId): void {
    this.#live.get(invocationId)?.actor.send({ type: "ABORT" });
  }

  enqueue(request: InvokeRequest): void {
    // After shutdown began, requests are dropped: the partition store still holds them for the next run.
    if (this.state !== "running") return;
    this.#queue.push(request);
    this.#scheduleDispatch();
  }

  /** Graceful: stop taking work, let attempts wind down (bounded), then abort the rest. Idempotent. */
  async close(): Promise<void> {
    this.#lifecycle.send({ type: "SHUTDOWN" });
    await this.#closed;
  }

  /** Forceful: abort everything now. Idempotent. */
  async destroy(): Promise<void> {
    this.#lifecycle.send({ type: "ABORT" });
    await this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    queueMicrotask(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    const limit = this.#options.concurrency ?? 4096;
    while (this.state === "running" && this.#live.size < limit && this.#startSlotFree()) {
      const request = this.#queue.shift();
      if (request === undefined) return;
      const live = this.#live.get(request.invocationId);
      if (live !== undefined) {
        // Resumed while its previous attempt is still finishing: run again once that one is done.
        live.rerun = true;
        continue;
      }
      this.#start(request);
    }
  }

  /** Whether another invocation may start now; frees the slots of slow starts, or wakes dispatch when one will be. */
  #startSlotFree(): boolean {
    const startLimit = this.#startLimit;
    if (this.#unanswered.size < startLimit) return true;
    const slowMs = this.#options.slowStartMs ?? 250;
    const now = Date.now();
    for (const [live, startedAt] of this.#unanswered) {
      if (now - startedAt < slowMs) {
        if (this.#slowStartTimer === undefined) {
          this.#slowStartTimer = setTimeout(() => {
            this.#slowStartTimer = undefined;
            this.#scheduleDispatch();
          }, startedAt + slowMs - now);
          this.#slowStartTimer.unref();
        }
        break;
      }
      this.#unanswered.delete(live);
    }
    return this.#unanswered.size < startLimit;
  }

  get #startLimit(): number {
    return this.#options.startConcurrency ?? 256;
  }

  /** Frees the invocation's start slot; wakes dispatch only if every slot was taken (it may be waiting). */
  #answered(live: LiveInvocation): void {
    const wasFull = this.#unanswered.size >= this.#startLimit;
    if (this.#unanswered.delete(live) && wasFull) this.#scheduleDispatch();
  }

  #start(request: InvokeRequest): void {
    const id = request.invocationId as InvocationId;
    const first = this.#options.journal.loadAttemptInput(id);
    if (first === undefined) return;
    const actor = createActor(this.#machine, {
      input: { invocationId: id, partition: request.partition, leaderEpoch: request.leaderEpoch, attempt: first.retryCount },
    });
    const target = targetLabel(first.service, first.handler, first.key, first.keyed ?? first.key !== "");
    const live = new LiveInvocation(request.partition, target, actor, this.#options.retryPolicy ?? DEFAULT_RETRY_POLICY, first);
    this.#live.set(id, live);
    this.#unanswered.set(live, Date.now());
    actor.subscribe({
      complete: () => this.#finished(id, live),
      error: () => this.#finished(id, live),
    });
    actor.start();
  }

  /**
   * The attempt machine with stet's implementations, built once: per invocation only an actor is
   * created (building a machine per invocation cost 8% of CPU under load in the W1 profile).
   */
  #provideMachine() {
    const { sink, onEvent } = this.#options;
    return withAttemptWork({
      runAttempt: async (input, signal) => {
        const live = this.#live.get(input.invocationId);
        if (live === undefined) return { kind: "fenced" };
        try {
          return await this.#attempt(live, input, signal);
        } finally {
          live.deliver = undefined;
          live.attemptEnded();
          // An attempt that ended (failed, fenced, suspended) no longer holds a start slot.
          this.#answered(live);
        }
      },
      recordFailure: async (input) => {
        const subject = this.#subject(input);
        const failed = { type: "attempt-failed", ...subject, failure: input.failure, code: failureCode(input.failure) } as const;
        const live = this.#live.get(input.invocationId);
        live?.attemptFailed(input.failure, null);
        let outcome;
        try {
          outcome = await sink.propose({ kind: "attempt-failed", fence: fenceOf(input), failure: input.failure });
        } catch (error) {
          const retryInMs = this.#retryIn(input, input.attempt);
          live?.attemptFailed(input.failure, Date.now() + retryInMs);
          onEvent?.({ ...failed, then: "unrecorded", retryInMs });
          throw error;
        }
        const verdict = !outcome.applied ? "fenced" : outcome.exhausted === true ? "exhausted" : "retry";
        if (verdict === "retry") {
          const retryInMs = this.#retryIn(input, input.attempt + 1);
          live?.attemptFailed(input.failure, Date.now() + retryInMs);
          onEvent?.({ ...failed, then: "retry", retryInMs });
        } else onEvent?.({ ...failed, then: verdict === "fenced" ? "fenced" : outcome.killed === true ? "killed" : "paused" });
        return verdict;
      },
      retryDelay: (context) => retryDelay(this.#live.get(context.invocationId)?.policy ?? DEFAULT_RETRY_POLICY, context.attempt),
    });
  }

  /** Who an event is about; the target comes from the live invocation (read when it was taken). */
  #subject(input: { readonly invocationId: string; readonly attempt: number }): AttemptSubject {
    const invocationId = input.invocationId as InvocationId;
    return { invocationId, target: this.#live.get(invocationId)?.target ?? "?", attempt: input.attempt };
  }

  /** The backoff the attempt machine will wait before attempt number `next` (as its `retryDelay`). */
  #retryIn(input: { readonly invocationId: string; readonly retryAfterMs?: number }, next: number): number {
    return input.retryAfterMs ?? retryDelay(this.#live.get(input.invocationId)?.policy ?? DEFAULT_RETRY_POLICY, next);
  }

  /** One attempt of a live invocation: its input (read once for the first), its target, the stream. */
  async #attempt(live: LiveInvocation, input: AttemptActorInput, signal: AbortSignal): Promise<AttemptOutcome> {
    const id = input.invocationId as InvocationId;
    // Later attempts read the journal again: the failed one may have added to it.
    const current = live.firstInput ?? this.#options.journal.loadAttemptInput(id);
    live.firstInput = undefined;
    if (current === undefined) return { kind: "fenced" };
    live.attemptStarted(Date.now());
    this.#options.onEvent?.({ type: "attempt-started", invocationId: id, target: live.target, attempt: input.attempt });
    const { pinned } = current;
    const resolved = this.#options.resolveTarget(current.service, current.handler, pinned?.deploymentId);
    if (resolved === undefined) {
      return { kind: "failed", failure: pinned === undefined ? `no deployment serves ${current.service}/${current.handler}` : pinnedDeploymentGone(pinned.deploymentId) };
    }
    const { target } = resolved;
    live.lastAttemptDeploymentId = target.id ?? null;
    // The handler's policy as of its latest resolution; an explicit option overrides it.
    live.policy = this.#options.retryPolicy ?? resolved.retryPolicy;
    return runAttempt({
      fence: fenceOf(input),
      input: current,
      target,
      transport: target.httpVersion === 2 ? this.#transports.http2 : this.#transports.http1,
      sink: this.#options.sink,
      signal,
      maxProtocolVersion: this.#options.maxProtocolVersion ?? 6,
      ...(pinned === undefined ? {} : { pinnedProtocolVersion: pinned.protocolVersion }),
      onStream: (deliver) => (live.deliver = deliver),
      onAnswered: () => this.#answered(live),
      onServer: (server) => (live.lastAttemptServer = server),
      inactivityTimeoutMs: resolved.inactivityTimeoutMs,
      abortTimeoutMs: resolved.abortTimeoutMs,
      silentWarnMs: this.#options.silentAttemptWarnMs ?? 60_000,
      onSilent: (silentMs, action) =>
        this.#options.onEvent?.({ type: "attempt-silent", invocationId: id, target: live.target, attempt: input.attempt, silentMs, ...action }),
    });
  }

  #finished(id: InvocationId, live: LiveInvocation): void {
    if (this.#live.get(id) !== live) return;
    this.#live.delete(id);
    this.#unanswered.delete(live);
    const snapshot = live.actor.getSnapshot();
    this.#options.onEvent?.({ type: "invocation-left", invocationId: id, target: live.target, attempt: snapshot.context.attempt, how: String(snapshot.value) });
    const epoch = this.#partitions.get(live.partition);
    if (live.rerun && epoch !== undefined) this.enqueue({ partition: live.partition, leaderEpoch: epoch, invocationId: id });
    if (this.#live.size === 0) this.#attemptsIdle?.();
    this.#scheduleDispatch();
  }

  #signalAll(type: "STOP" | "ABORT"): void {
    for (const live of [...this.#live.values()]) live.actor.send({ type });
  }

  #whenNoAttempts(): Promise<void> {
    if (this.#live.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#attemptsIdle = () => {
        this.#attemptsIdle = undefined;
        resolve();
      };
    });
  }
}

/**
 * Why an attempt of an invocation pinned to a deployment that was removed (`DELETE /deployments/{id}?force=true`)
 * cannot run: its journal may only be replayed by the code that wrote it, so stet does not pick another.
 */
function pinnedDeploymentGone(deploymentId: string): string {
  return (
    `the deployment ${deploymentId} this invocation is pinned to is not registered any more (removed with force while invocations were pinned to it); ` +
    "pause the invocation, then resume it with ?deployment=latest or a deployment id to replay its journal there"
  );
}

/** The fence an attempt's effects carry: the partition, leader epoch, invocation and attempt they belong to. */
function fenceOf(input: AttemptActorInput) {
  return {
    partition: input.partition,
    leaderEpoch: input.leaderEpoch,
    invocationId: input.invocationId as InvocationId,
    attempt: input.attempt,
  };
}
