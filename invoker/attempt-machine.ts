import { assign, fromPromise, setup } from "xstate";
import type { AttemptOutcome } from "./attempt-runner.js";

/** Which invocation, under which leader: fixed for the machine's life and handed to its actors. */
export interface AttemptIdentity {
  readonly invocationId: string;
  readonly partition: number;
  readonly leaderEpoch: number;
}

export interface AttemptMachineInput extends AttemptIdentity {
  /** Retry count persisted for the invocation when this machine starts: the first attempt's number. */
  readonly attempt: number;
}

export interface AttemptMachineContext extends AttemptIdentity {
  attempt: number;
  lastFailure: string | undefined;
  retryAfterMs: number | undefined;
}

/** What the `runAttempt` and `recordFailure` actors get: who they work for and which attempt this is. */
export interface AttemptActorInput extends AttemptIdentity {
  readonly attempt: number;
}

export type AttemptMachineEvent = { type: "STOP" } | { type: "ABORT" };

/**
 * What the partition made of a failed attempt: retry after backoff; `exhausted` (retries used up: the
 * invocation was paused or killed per its policy); or fenced.
 */
export type FailureVerdict = "retry" | "exhausted" | "fenced";

/**
 * The life of one invocation inside the invoker: attempts, failures and backoff until it ends, suspends,
 * is fenced, or is stopped. No I/O here: `runAttempt`, `recordFailure` and the delay come from `.provide()`.
 */
export const attemptMachine = setup({
  types: {
    context: {} as AttemptMachineContext,
    events: {} as AttemptMachineEvent,
    input: {} as AttemptMachineInput,
  },
  actors: {
    runAttempt: fromPromise<AttemptOutcome, AttemptActorInput>(async () => {
      throw new Error("runAttempt not provided");
    }),
    recordFailure: fromPromise<FailureVerdict, AttemptActorInput & { failure: string }>(async () => {
      throw new Error("recordFailure not provided");
    }),
  },
  guards: {
    ended: (_, outcome: AttemptOutcome) => outcome.kind === "ended",
    suspended: (_, outcome: AttemptOutcome) => outcome.kind === "suspended",
    fenced: (_, outcome: AttemptOutcome) => outcome.kind === "fenced",
  },
  delays: {
    retryDelay: ({ context }) => context.retryAfterMs ?? 0,
  },
}).createMachine({
  id: "attempt",
  context: ({ input }) => ({ ...input, lastFailure: undefined, retryAfterMs: undefined }),
  initial: "running",
  on: {
    STOP: ".stopped",
    ABORT: ".aborted",
  },
  states: {
    running: {
      invoke: {
        src: "runAttempt",
        input: ({ context }) => identityOf(context),
        onDone: [
          { guard: { type: "ended", params: ({ event }) => event.output }, target: "ended" },
          { guard: { type: "suspended", params: ({ event }) => event.output }, target: "suspended" },
          { guard: { type: "fenced", params: ({ event }) => event.output }, target: "fenced" },
          {
            target: "failed",
            actions: assign(({ event }) => {
              const out = event.output as Extract<AttemptOutcome, { kind: "failed" }>;
              return { lastFailure: out.failure, retryAfterMs: out.retryAfterMs };
            }),
          },
        ],
        onError: {
          target: "failed",
          actions: assign(({ event }) => ({ lastFailure: String(event.error), retryAfterMs: undefined })),
        },
      },
    },
    failed: {
      // The failure is made durable (retry count +1) before backing off, so restarts keep counting.
      invoke: {
        src: "recordFailure",
        input: ({ context }) => ({ ...identityOf(context), failure: context.lastFailure ?? "unknown failure" }),
        onDone: [
          {
            guard: ({ event }) => event.output === "retry",
            target: "backingOff",
            actions: assign({ attempt: ({ context }) => context.attempt + 1 }),
          },
          { guard: ({ event }) => event.output === "exhausted", target: "exhausted" },
          { target: "fenced" },
        ],
        // The failure could not be stored (a storage fault): try the attempt again after the backoff
        // rather than dropping the invocation from the invoker until the next restart.
        onError: { target: "backingOff" },
      },
    },
    backingOff: {
      after: { retryDelay: { target: "running", actions: assign({ retryAfterMs: undefined }) } },
    },
    ended: { type: "final" },
    exhausted: { type: "final" },
    suspended: { type: "final" },
    fenced: { type: "final" },
    stopped: { type: "final" },
    aborted: { type: "final" },
  },
});

function identityOf(context: AttemptMachineContext): AttemptActorInput {
  return {
    invocationId: context.invocationId,
    partition: context.partition,
    leaderEpoch: context.leaderEpoch,
    attempt: context.attempt,
  };
}
