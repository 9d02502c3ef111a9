import { createActor, fromPromise, SimulatedClock } from "xstate";
import { describe, expect, it } from "vitest";
import { attemptMachine, type AttemptActorInput, type FailureVerdict } from "../../../invoker/attempt-machine.js";

const WHO = { invocationId: "inv_test", partition: 0, leaderEpoch: 1 };
import type { AttemptOutcome } from "../../../invoker/attempt-runner.js";

function machineWith(outcomes: AttemptOutcome[], recorded: Array<{ attempt: number; failure: string }>, verdict: FailureVerdict = "retry") {
  const attempts: number[] = [];
  const machine = attemptMachine.provide({
    actors: {
      runAttempt: fromPromise<AttemptOutcome, AttemptActorInput>(async ({ input }) => {
        attempts.push(input.attempt);
        return outcomes.shift() ?? { kind: "ended" };
      }),
      recordFailure: fromPromise<FailureVerdict, AttemptActorInput & { failure: string }>(async ({ input }) => {
        recorded.push({ attempt: input.attempt, failure: input.failure });
        return verdict;
      }),
    },
    // The delay grows with the attempt number: 1000 ms × (attempt + 1), the attempt counted after the failure.
    delays: { retryDelay: ({ context }) => context.retryAfterMs ?? 1000 * (context.attempt + 1) },
  });
  return { machine, attempts };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("attempt machine", () => {
  it("records each failure, backs off on the clock, and ends on success", async () => {
    const recorded: Array<{ attempt: number; failure: string }> = [];
    const { machine, attempts } = machineWith(
      [
        { kind: "failed", failure: "boom 1" },
        { kind: "failed", failure: "boom 2" },
      ],
      recorded,
    );
    const clock = new SimulatedClock();
    const actor = createActor(machine, { input: { ...WHO, attempt: 3 }, clock });
    actor.start();
    await settle();
    expect(actor.getSnapshot().value).toBe("backingOff");
    expect(recorded).toEqual([{ attempt: 3, failure: "boom 1" }]);

    clock.increment(4999);
    await settle();
    expect(actor.getSnapshot().value).toBe("backingOff");
    clock.increment(1);
    await settle();
    expect(actor.getSnapshot().value).toBe("backingOff");
    expect(recorded.map((r) => r.attempt)).toEqual([3, 4]);

    clock.increment(6000);
    await settle();
    expect(actor.getSnapshot().value).toBe("ended");
    expect(actor.getSnapshot().status).toBe("done");
    expect(attempts).toEqual([3, 4, 5]);
  });

  it("honours the delay the service asked for", async () => {
    const recorded: Array<{ attempt: number; failure: string }> = [];
    const { machine } = machineWith([{ kind: "failed", failure: "later", retryAfterMs: 10 }], recorded);
    const clock = new SimulatedClock();
    const actor = createActor(machine, { input: { ...WHO, attempt: 0 }, clock });
    actor.start();
    await settle();
    clock.increment(10);
    await settle();
    expect(actor.getSnapshot().value).toBe("ended");
  });

  it("stops at once while backing off", async () => {
    const recorded: Array<{ attempt: number; failure: string }> = [];
    const { machine, attempts } = machineWith([{ kind: "failed", failure: "x" }], recorded);
    const clock = new SimulatedClock();
    const actor = createActor(machine, { input: { ...WHO, attempt: 0 }, clock });
    actor.start();
    await settle();
    expect(actor.getSnapshot().value).toBe("backingOff");
    actor.send({ type: "STOP" });
    expect(actor.getSnapshot().value).toBe("stopped");
    clock.increment(60_000);
    await settle();
    expect(attempts).toEqual([0]);
  });

  it("ends as fenced when the partition refuses the failure record", async () => {
    const recorded: Array<{ attempt: number; failure: string }> = [];
    const { machine } = machineWith([{ kind: "failed", failure: "x" }], recorded, "fenced");
    const actor = createActor(machine, { input: { ...WHO, attempt: 0 }, clock: new SimulatedClock() });
    actor.start();
    await settle();
    expect(actor.getSnapshot().value).toBe("fenced");
  });

  it("ends when the partition says the retries are used up", async () => {
    const recorded: Array<{ attempt: number; failure: string }> = [];
    const { machine, attempts } = machineWith([{ kind: "failed", failure: "x" }], recorded, "exhausted");
    const clock = new SimulatedClock();
    const actor = createActor(machine, { input: { ...WHO, attempt: 0 }, clock });
    actor.start();
    await settle();
    expect(actor.getSnapshot().value).toBe("exhausted");
    clock.increment(60_000);
    await settle();
    expect(attempts).toEqual([0]);
  });

  it.each([
    [{ kind: "suspended" } as AttemptOutcome, "suspended"],
    [{ kind: "fenced" } as AttemptOutcome, "fenced"],
  ])("goes final on %o", async (outcome, state) => {
    const { machine } = machineWith([outcome], []);
    const actor = createActor(machine, { input: { ...WHO, attempt: 0 }, clock: new SimulatedClock() });
    actor.start();
    await settle();
    expect(actor.getSnapshot().value).toBe(state);
  });
});
