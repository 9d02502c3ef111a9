import { createActor, SimulatedClock } from "xstate";
import { describe, expect, it } from "vitest";
import { withAttemptWork, type FailureVerdict } from "../../../invoker/attempt-machine.js";

const WHO = { invocationId: "inv_test", partition: 0, leaderEpoch: 1 };
import type { AttemptOutcome } from "../../../invoker/attempt-runner.js";

function machineWith(outcomes: AttemptOutcome[], recorded: Array<{ attempt: number; failure: string }>, verdict: FailureVerdict = "retry") {
  const attempts: number[] = [];
  const machine = withAttemptWork({
    runAttempt: async (input) => {
      attempts.push(input.attempt);
      return outcomes.shift() ?? { kind: "ended" };
    },
    recordFailure: async (input) => {
      recorded.push({ attempt: input.attempt, failure: input.failure });
      return verdict;
    },
    // The delay grows with the attempt number: 1000 ms × (attempt + 1), the attempt counted after the failure.
    retryDelay: (context) => 1000 * (context.attempt + 1),
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

  it("aborts a running attempt's signal on STOP and drops its late report", async () => {
    let signal: AbortSignal | undefined;
    let finish: (outcome: AttemptOutcome) => void = () => {};
    const machine = withAttemptWork({
      runAttempt: (_input, s) => {
        signal = s;
        return new Promise<AttemptOutcome>((resolve) => (finish = resolve));
      },
      recordFailure: async () => "retry",
    });
    const actor = createActor(machine, { input: { ...WHO, attempt: 0 }, clock: new SimulatedClock() });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => errors.push(e) });
    actor.start();
    expect(signal?.aborted).toBe(false);
    actor.send({ type: "STOP" });
    expect(signal?.aborted).toBe(true);
    expect(actor.getSnapshot().value).toBe("stopped");
    finish({ kind: "ended" });
    await settle();
    expect(actor.getSnapshot().value).toBe("stopped");
    expect(errors).toEqual([]);
  });

  it("fails the attempt when its work throws, and backs off when the failure cannot be stored", async () => {
    const attempts: number[] = [];
    const machine = withAttemptWork({
      runAttempt: async (input) => {
        attempts.push(input.attempt);
        if (attempts.length === 1) throw new Error("transport broke");
        return { kind: "ended" };
      },
      recordFailure: async () => {
        throw new Error("disk full");
      },
      retryDelay: () => 500,
    });
    const clock = new SimulatedClock();
    const actor = createActor(machine, { input: { ...WHO, attempt: 0 }, clock });
    actor.start();
    await settle();
    expect(actor.getSnapshot().value).toBe("backingOff");
    expect(actor.getSnapshot().context.lastFailure).toContain("transport broke");
    clock.increment(500);
    await settle();
    expect(actor.getSnapshot().value).toBe("ended");
    // The failure was not stored, so the count did not move: the retry runs as the same attempt.
    expect(attempts).toEqual([0, 0]);
  });
});
