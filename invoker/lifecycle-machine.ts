import { fromPromise, setup } from "xstate";

export interface LifecycleInput {
  /** How long `draining` may wait for live attempts to wind down before aborting them. */
  readonly drainTimeoutMs: number;
}

export type LifecycleEvent = { type: "SHUTDOWN" } | { type: "ABORT" };

/**
 * The invoker's lifecycle: running → draining → aborting → closed (DESIGN.md, Invoker lifecycle).
 * Actions and actors are named here and implemented by the invoker through `.provide()`.
 */
export const invokerLifecycleMachine = setup({
  types: {
    context: {} as { drainTimeoutMs: number },
    events: {} as LifecycleEvent,
    input: {} as LifecycleInput,
  },
  actions: {
    stopDispatching: () => {},
    stopAttempts: () => {},
    abortAttempts: () => {},
    abortPartitions: () => {},
    dropQueue: () => {},
  },
  actors: {
    awaitAttempts: fromPromise<void>(async () => {}),
    releaseTransports: fromPromise<void>(async () => {}),
  },
  delays: {
    drainTimeout: ({ context }) => context.drainTimeoutMs,
  },
}).createMachine({
  id: "invoker",
  context: ({ input }) => ({ drainTimeoutMs: input.drainTimeoutMs }),
  initial: "running",
  states: {
    running: {
      on: { SHUTDOWN: "draining", ABORT: "aborting" },
    },
    draining: {
      entry: ["stopDispatching", "stopAttempts"],
      invoke: { src: "awaitAttempts", onDone: "aborting", onError: "aborting" },
      after: { drainTimeout: "aborting" },
      on: { ABORT: "aborting" },
    },
    aborting: {
      entry: ["stopDispatching", "abortAttempts", "abortPartitions", "dropQueue"],
      invoke: { src: "releaseTransports", onDone: "closed", onError: "closed" },
    },
    closed: { type: "final" },
  },
});
