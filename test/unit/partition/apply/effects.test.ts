import { expect, it } from "vitest";
import type { EffectFence } from "../../../../invoker/index.js";
import { CommandRejected, type HandlerInfo } from "../../../../partition/index.js";
import { describeCases } from "./cases.js";
import { ApplyFixture, HERE, EPOCH, HANDLERS, OBJ, SVC, T0, bytes, entry, idIn, kinds, value } from "./fixture.js";

const run = (completionId: number) => entry("RunCompletionNotification", { completionId, result: { case: "value", value: { content: bytes("r") } } });
const withPolicy = (base: string, policy: Partial<HandlerInfo>): HandlerInfo => ({ ...HANDLERS[base]!, ...policy });

describeCases("effects", {
  journal: () => {
    it("appends the service's entries after the input, in order", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      const applied = f.journal(id, entry("RunCommand", { resultCompletionId: 1, name: "a" }), entry("RunCommand", { resultCompletionId: 2, name: "b" }));
      expect(applied).toEqual({ result: { applied: true }, actions: [] });
      expect(f.entries(id).map((e) => [e.name, e.message["name"]])).toEqual([
        ["InputCommand", ""],
        ["RunCommand", "a"],
        ["RunCommand", "b"],
      ]);
      expect(f.record(id)?.journalLength).toBe(3);
    });

    it.each<[string, (f: ApplyFixture, fence: EffectFence) => EffectFence]>([
      ["an earlier leader's epoch", (_, fence) => ({ ...fence, leaderEpoch: EPOCH - 1 })],
      ["another partition", (_, fence) => ({ ...fence, partition: 1 })],
      ["an earlier attempt", (f, fence) => (f.effect(fence.invocationId, { kind: "attempt-failed", failure: "boom" }), fence)],
      ["a paused invocation", (f, fence) => (f.apply({ kind: "control", op: "pause", invocationId: fence.invocationId }), fence)],
      ["a completed invocation", (f, fence) => (f.effect(fence.invocationId, { kind: "end", result: value("x") }), fence)],
      ["an unknown invocation", (f, fence) => ({ ...fence, invocationId: idIn(0, f.partitionCount) })],
    ])("discards an effect from %s, changing nothing", (_, staleFence) => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      const fence = staleFence(f, f.fence(id));
      const before = f.record(id);
      const applied = f.apply({ kind: "journal", fence, entries: [entry("RunCommand", { resultCompletionId: 1 })] });
      expect(applied).toEqual({ result: { applied: false }, actions: [] });
      expect(f.record(id)).toEqual(before);
    });

    it("marks a backing-off invocation invoked with the first effect of its next attempt", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      f.effect(id, { kind: "attempt-failed", failure: "boom" });
      f.journal(id, entry("RunCommand", { resultCompletionId: 1 }));
      expect(f.record(id)).toMatchObject({ status: "invoked", retryCount: 1 });
    });

    it("rolls the whole effect back when one command cannot be carried out", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(OBJ);
      expect(() =>
        f.journal(
          id,
          entry("SetStateCommand", { key: bytes("a"), value: { content: bytes("1") } }),
          entry("CompleteAwakeableCommand", { awakeableId: "not-an-awakeable", result: { case: "value", value: { content: bytes("x") } } }),
        ),
      ).toThrow(CommandRejected);
      expect(f.record(id)?.journalLength).toBe(1);
      expect(f.store.state.all("Obj", "k")).toEqual([]);
    });
  },

  "run-completion": () => {
    it("stores the run's result as its notification, and hands nothing to the attempt (the invoker acks it)", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      f.journal(id, entry("RunCommand", { resultCompletionId: 1 }));
      const applied = f.effect(id, { kind: "run-completion", completionId: 1, notification: run(1) });
      expect(applied).toEqual({ result: { applied: true }, actions: [] });
      expect(f.entries(id, 2)).toMatchObject([{ name: "RunCompletionNotification", message: { completionId: 1 } }]);
    });
  },

  end: () => {
    it("stores the output, keeps it for the handler's retention, and reports the completion", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      f.now = T0 + 10;
      const { result, actions } = f.effect(id, { kind: "end", result: value("out") });
      expect(result).toEqual({ applied: true });
      expect(f.record(id)).toMatchObject({ status: "completed", outcome: value("out"), completedAt: T0 + 10, expiresAt: T0 + 10 + 60_000 });
      expect(actions).toEqual([{ kind: "completed", invocationId: id, target: SVC, outcome: value("out") }]);
    });

    it("stores a terminal failure as the outcome; without retention the outcome is kept for good", () => {
      const f = new ApplyFixture({ handlers: { "Svc/h": withPolicy("Svc/h", { retentionMs: null }) } });
      const { id } = f.invoke(SVC);
      const failure = { kind: "failure", code: 418, message: "teapot" } as const;
      f.effect(id, { kind: "end", result: failure });
      expect(f.record(id)).toMatchObject({ status: "completed", outcome: failure, expiresAt: null });
    });

    it("forgets at once an invocation whose handler keeps nothing, with its idempotency key", () => {
      const f = new ApplyFixture({ handlers: { "Svc/h": withPolicy("Svc/h", { retentionMs: 0 }) } });
      const { id } = f.invoke(SVC, { idempotencyKey: "once" });
      const { actions } = f.effect(id, { kind: "end", result: value("out") });
      expect(f.record(id)).toBeUndefined();
      expect(f.store.idempotency.get("Svc", "", "h", "once")).toBeUndefined();
      expect(kinds(actions)).toEqual(["completed"]);
    });

    it("drops the invocation's pending timers", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      f.journal(id, entry("SleepCommand", { wakeUpTime: BigInt(T0 + 1_000), resultCompletionId: 1 }));
      f.effect(id, { kind: "end", result: value("out") });
      expect(f.store.timers.earliest(HERE)).toBeUndefined();
    });

    it("sends the result to the calling invocation as its call completion", () => {
      const f = new ApplyFixture();
      const parent = f.invoke(SVC);
      const child = f.invoke(SVC, { caller: { id: parent.id, completionId: 4 } });
      const { actions } = f.effect(child.id, { kind: "end", result: value("child says hi") });
      expect(f.entries(parent.id, 1)).toMatchObject([
        { name: "CallCompletionNotification", message: { completionId: 4, result: { case: "value", value: { content: bytes("child says hi") } } } },
      ]);
      expect(actions).toEqual([
        { kind: "notify", invocationId: parent.id, entry: expect.anything() },
        { kind: "completed", invocationId: child.id, target: SVC, outcome: value("child says hi") },
      ]);
    });

    it("passes the key's lock on to the next inboxed invocation and starts it", () => {
      const f = new ApplyFixture();
      const first = f.invoke(OBJ);
      const second = f.invoke(OBJ);
      const third = f.invoke(OBJ);
      const { actions } = f.effect(first.id, { kind: "end", result: value("1") });
      expect(f.store.locks.holder("Obj", "k")).toBe(second.id);
      expect(f.record(first.id)?.holdsLock).toBe(false);
      expect(f.record(second.id)).toMatchObject({ status: "invoked", holdsLock: true });
      expect(f.record(third.id)?.status).toBe("inboxed");
      expect(actions).toEqual([
        { kind: "enqueue", invocationId: second.id },
        { kind: "completed", invocationId: first.id, target: OBJ, outcome: value("1") },
      ]);
    });

    it("frees the key when nobody waits for it", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(OBJ);
      f.effect(id, { kind: "end", result: value("1") });
      expect(f.store.locks.holder("Obj", "k")).toBeUndefined();
    });
  },

  suspended: () => {
    it("suspends the invocation with what it awaits", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      f.journal(id, entry("SleepCommand", { wakeUpTime: BigInt(T0 + 1_000), resultCompletionId: 1 }));
      expect(f.suspend(id, { completions: [1] })).toEqual({ result: { applied: true }, actions: [] });
      expect(f.record(id)).toMatchObject({ status: "suspended", awaiting: { completions: [1], signals: [], names: [] } });
    });

    // The attempt saw the journal up to the run's command; the run's result was stored after that.
    it.each([
      ["starts a new attempt at once when it awaits what arrived after what the attempt saw", 1, "invoked", [{ kind: "enqueue" }]],
      ["stays suspended when it does not await what arrived after what the attempt saw", 2, "suspended", []],
    ])("%s", (_, awaited, status, actions) => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      f.journal(id, entry("RunCommand", { resultCompletionId: 1 }));
      f.effect(id, { kind: "run-completion", completionId: 1, notification: run(1) });
      const applied = f.effect(id, { kind: "suspended", entriesSeen: 2, awaiting: { completions: [awaited], signals: [], names: [] } });
      expect(applied.actions).toMatchObject(actions);
      expect(f.record(id)?.status).toBe(status);
    });
  },

  "attempt-failed": () => {
    it("records the failure and backs off while attempts remain; the failed attempt's fence goes stale", () => {
      const f = new ApplyFixture({ handlers: { "Svc/h": withPolicy("Svc/h", { maxAttempts: 3 }) } });
      const { id } = f.invoke(SVC);
      const fence = f.fence(id);
      const applied = f.effect(id, { kind: "attempt-failed", failure: "boom" });
      expect(applied).toEqual({ result: { applied: true }, actions: [] });
      expect(f.record(id)).toMatchObject({ status: "backing-off", retryCount: 1, lastFailure: "boom" });
      expect(f.apply({ kind: "end", fence, result: value("late") }).result).toEqual({ applied: false });
    });

    it("retries forever when the handler sets no limit", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      for (let i = 0; i < 5; i++) expect(f.effect(id, { kind: "attempt-failed", failure: `boom ${i}` }).result.exhausted).toBeUndefined();
      expect(f.record(id)).toMatchObject({ status: "backing-off", retryCount: 5, lastFailure: "boom 4" });
    });

    it("pauses the invocation when the last attempt fails and the policy says PAUSE", () => {
      const f = new ApplyFixture({ handlers: { "Svc/h": withPolicy("Svc/h", { maxAttempts: 2 }) } });
      const { id } = f.invoke(SVC);
      f.effect(id, { kind: "attempt-failed", failure: "first" });
      const applied = f.effect(id, { kind: "attempt-failed", failure: "second" });
      expect(applied).toEqual({ result: { applied: true, exhausted: true }, actions: [] });
      expect(f.record(id)).toMatchObject({ status: "paused", retryCount: 2, lastFailure: "second" });
    });

    it("kills the invocation when the last attempt fails and the policy says KILL, passing its lock on", () => {
      const f = new ApplyFixture({ handlers: { "Obj/run": withPolicy("Obj/run", { maxAttempts: 1, onMaxAttempts: "KILL" }) } });
      const first = f.invoke(OBJ);
      const second = f.invoke(OBJ);
      const { result, actions } = f.effect(first.id, { kind: "attempt-failed", failure: "boom" });
      const outcome = { kind: "failure", code: 500, message: "boom" } as const;
      expect(result).toEqual({ applied: true, exhausted: true, killed: true });
      expect(f.record(first.id)).toMatchObject({ status: "completed", outcome });
      expect(f.store.locks.holder("Obj", "k")).toBe(second.id);
      expect(actions).toEqual([
        { kind: "enqueue", invocationId: second.id },
        { kind: "completed", invocationId: first.id, target: OBJ, outcome },
      ]);
    });

    // Unlike an operator's kill: restate-server 1.7.12 leaves the children of an invocation its retry
    // policy killed running (RESTATE-FACTS.md, "Retry policy").
    it("leaves the calls of an invocation the policy kills running", () => {
      const f = new ApplyFixture({ handlers: { "Obj/run": withPolicy("Obj/run", { maxAttempts: 1, onMaxAttempts: "KILL" }) } });
      const parent = f.invoke(OBJ).id;
      f.journal(parent, entry("CallCommand", { serviceName: "Svc", handlerName: "h", parameter: bytes(""), invocationIdNotificationIdx: 1, resultCompletionId: 2 }));
      const [child] = f.store.invocations.listLiveChildren(parent);
      f.effect(parent, { kind: "attempt-failed", failure: "boom" });
      expect(f.record(child!)?.status).toBe("invoked");
    });
  },
});
