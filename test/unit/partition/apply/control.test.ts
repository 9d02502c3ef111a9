import { expect, it } from "vitest";
import type { ControlOp } from "../../../../partition/index.js";
import type { InvocationId } from "../../../../protocol/index.js";
import { describeCases } from "./cases.js";
import { ApplyFixture, HERE, OBJ, SVC, T0, WF, bytes, entry, finishedRun, idIn, inEveryState, kinds, value } from "./fixture.js";

const CANCELLED = { kind: "failure", code: 409, message: "cancelled" } as const;
const KILLED = { kind: "failure", code: 409, message: "killed" } as const;

const control = (f: ApplyFixture, op: ControlOp, invocationId: InvocationId) => f.apply({ kind: "control", op, invocationId });

/** The call completion a caller got, as stored in its journal. */
const callResults = (f: ApplyFixture, caller: InvocationId) =>
  f.entries(caller).filter((e) => e.name === "CallCompletionNotification").map((e) => e.message["result"]);

/** A second exclusive call of OBJ, inboxed behind the first, called by a plain invocation. */
function inboxedWithCaller(f: ApplyFixture) {
  const holder = f.invoke(OBJ).id;
  const caller = f.invoke(SVC).id;
  const inboxed = f.invoke(OBJ, { caller: { id: caller, completionId: 2 } }).id;
  return { holder, caller, inboxed };
}

/** Cancel and kill of an invocation that has already completed are refused (Restate: 409) and change nothing. */
function refusesCompleted(op: ControlOp) {
  it("refuses a completed invocation and changes nothing", () => {
    const f = new ApplyFixture();
    const { completed } = inEveryState(f);
    expect(control(f, op, completed)).toEqual({ result: { applied: false, refusal: { status: 409, message: "the invocation is completed" } }, actions: [] });
    expect(f.record(completed)?.outcome).toEqual(value("done"));
  });
}

describeCases("control", {
  control: () => {
    it.each<ControlOp>(["cancel", "kill", "purge", "pause", "resume"])("refuses %s of an unknown invocation with 404", (op) => {
      const f = new ApplyFixture();
      expect(control(f, op, idIn(0, 1))).toEqual({ result: { applied: false, refusal: { status: 404, message: "invocation not found" } }, actions: [] });
    });
  },

  "control cancel": () => {
    it("hands a running invocation the cancel signal and leaves the rest to its handler", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      const { result, actions } = control(f, "cancel", id);
      expect(result).toEqual({ applied: true });
      expect(f.entries(id, 1)).toMatchObject([{ name: "SignalNotification", message: { signalId: { case: "idx", value: 1 }, result: { case: "void" } } }]);
      expect(f.record(id)?.status).toBe("invoked");
      expect(actions).toEqual([{ kind: "notify", invocationId: id, entry: expect.anything() }]);
    });

    it("resumes a paused invocation so that its handler sees the signal", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      control(f, "pause", id);
      const { actions } = control(f, "cancel", id);
      expect(f.record(id)?.status).toBe("invoked");
      expect(kinds(actions)).toEqual(["notify", "abort", "enqueue"]);
    });

    it("forgets an inboxed invocation and tells its caller it was cancelled", () => {
      const f = new ApplyFixture();
      const { holder, caller, inboxed } = inboxedWithCaller(f);
      const { actions } = control(f, "cancel", inboxed);
      expect(f.record(inboxed)).toBeUndefined();
      expect(callResults(f, caller)).toMatchObject([{ case: "failure", value: { code: 409, message: "cancelled" } }]);
      expect(actions).toContainEqual({ kind: "completed", invocationId: inboxed, target: OBJ, outcome: CANCELLED });
      // It left the key's inbox: the holder's end starts nobody.
      expect(kinds(f.effect(holder, { kind: "end", result: value("") }).actions)).toEqual(["completed"]);
    });

    it("forgets a scheduled invocation with its start timer", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC, { executionTime: T0 + 1_000 });
      control(f, "cancel", id);
      expect(f.record(id)).toBeUndefined();
      expect(f.store.timers.earliest(HERE)).toBeUndefined();
    });

    refusesCompleted("cancel");
  },

  "control kill": () => {
    it("completes a running invocation as killed, ends its attempt, tells its caller and passes its lock on", () => {
      const f = new ApplyFixture();
      const caller = f.invoke(SVC).id;
      const victim = f.invoke(OBJ, { caller: { id: caller, completionId: 2 } }).id;
      const next = f.invoke(OBJ).id;
      const { result, actions } = control(f, "kill", victim);
      expect(result).toEqual({ applied: true });
      expect(f.record(victim)).toMatchObject({ status: "completed", outcome: KILLED });
      expect(callResults(f, caller)).toMatchObject([{ case: "failure", value: { code: 409, message: "killed" } }]);
      expect(f.store.locks.holder("Obj", "k")).toBe(next);
      expect(actions).toEqual([
        { kind: "abort", invocationId: victim },
        { kind: "enqueue", invocationId: next },
        { kind: "notify", invocationId: caller, entry: expect.anything() },
        { kind: "completed", invocationId: victim, target: OBJ, outcome: KILLED },
      ]);
    });

    it("kills the invocations it called that are still running", () => {
      const f = new ApplyFixture();
      const parent = f.invoke(SVC).id;
      f.journal(parent, entry("CallCommand", { serviceName: "Svc", handlerName: "h", parameter: bytes(""), invocationIdNotificationIdx: 1, resultCompletionId: 2 }));
      const [child] = f.store.invocations.listLiveChildren(parent);
      const { actions } = control(f, "kill", parent);
      expect(f.record(child!)).toMatchObject({ status: "completed", outcome: KILLED });
      expect(actions).toContainEqual({ kind: "abort", invocationId: child });
    });

    it("forgets an inboxed invocation and tells its caller it was killed", () => {
      const f = new ApplyFixture();
      const { caller, inboxed } = inboxedWithCaller(f);
      control(f, "kill", inboxed);
      expect(f.record(inboxed)).toBeUndefined();
      expect(callResults(f, caller)).toMatchObject([{ case: "failure", value: { code: 409, message: "killed" } }]);
    });

    refusesCompleted("kill");
  },

  "control purge": () => {
    it("deletes a completed invocation with its journal and idempotency key", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC, { idempotencyKey: "once" });
      f.effect(id, { kind: "end", result: value("x") });
      expect(control(f, "purge", id)).toEqual({ result: { applied: true }, actions: [] });
      expect(f.record(id)).toBeUndefined();
      expect(f.store.invocations.readJournal(id)).toEqual([]);
      expect(f.store.idempotency.get("Svc", "", "h", "once")).toBeUndefined();
    });

    it("takes a workflow run's state and promises along: a new run of the key starts afresh", () => {
      const f = new ApplyFixture();
      const run = finishedRun(f);
      control(f, "purge", run);
      expect(f.state("Wf", "w")).toEqual({});
      expect(f.store.promises.get("Wf", "w", "p")).toBeUndefined();
      expect(f.invoke(WF).result.started?.existing).toBe(false);
    });

    it("keeps the state of an object, and of a workflow whose shared handler's invocation it purges", () => {
      const f = new ApplyFixture();
      finishedRun(f);
      const shared = f.invoke({ ...WF, handler: "signal" }).id;
      f.effect(shared, { kind: "end", result: value("") });
      const call = f.invoke(OBJ).id;
      f.journal(call, entry("SetStateCommand", { key: bytes("b"), value: { content: bytes("2") } }));
      f.effect(call, { kind: "end", result: value("") });
      control(f, "purge", shared);
      control(f, "purge", call);
      expect(f.state("Wf", "w")).toEqual({ a: "1" });
      expect(f.store.promises.get("Wf", "w", "p")).toEqual(value("v"));
      expect(f.state("Obj", "k")).toEqual({ b: "2" });
    });

    it("refuses every invocation that has not completed, and changes nothing", () => {
      const f = new ApplyFixture();
      const { completed: _, ...unfinished } = inEveryState(f);
      for (const [status, id] of Object.entries(unfinished)) {
        expect(control(f, "purge", id).result.refusal?.status, status).toBe(409);
        expect(f.record(id)?.status).toBe(status);
      }
    });
  },

  "control pause": () => {
    it("pauses a running invocation and ends its attempt; pausing again changes nothing", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      expect(control(f, "pause", id)).toEqual({ result: { applied: true }, actions: [{ kind: "abort", invocationId: id }] });
      expect(f.record(id)?.status).toBe("paused");
      expect(control(f, "pause", id)).toEqual({ result: { applied: true }, actions: [] });
    });

    it("refuses a completed invocation", () => {
      const f = new ApplyFixture();
      const { completed } = inEveryState(f);
      expect(control(f, "pause", completed).result.refusal?.status).toBe(409);
    });

    // Restate 1.7.12 answers 409 `… is not running, cannot be paused.` (test/differential/invocation-admin.test.ts).
    it.each(["inboxed", "scheduled"] as const)("refuses an invocation that has not started (%s) and changes nothing", (status) => {
      const f = new ApplyFixture();
      const id = inEveryState(f)[status];
      expect(control(f, "pause", id)).toEqual({ result: { applied: false, refusal: { status: 409, message: `the invocation is ${status}` } }, actions: [] });
      expect(f.record(id)?.status).toBe(status);
    });

    it("leaves an inboxed invocation in its key's inbox: the lock holder's end starts it", () => {
      const f = new ApplyFixture();
      const holder = f.invoke(OBJ).id;
      const inboxed = f.invoke(OBJ).id;
      control(f, "pause", inboxed);
      expect(f.effect(holder, { kind: "end", result: value("") }).actions).toContainEqual({ kind: "enqueue", invocationId: inboxed });
      expect(f.store.locks.holder("Obj", "k")).toBe(inboxed);
    });
  },

  "control resume": () => {
    it.each(["paused", "suspended", "backing-off"] as const)("starts a new attempt of a %s invocation now", (status) => {
      const f = new ApplyFixture();
      const id = inEveryState(f)[status];
      expect(control(f, "resume", id)).toEqual({
        result: { applied: true },
        actions: [
          { kind: "abort", invocationId: id },
          { kind: "enqueue", invocationId: id },
        ],
      });
      expect(f.record(id)?.status).toBe("invoked");
    });

    it("leaves a running invocation alone", () => {
      const f = new ApplyFixture();
      const { invoked } = inEveryState(f);
      expect(control(f, "resume", invoked)).toEqual({ result: { applied: true }, actions: [] });
    });

    it("never starts an invocation past its key's lock: one paused before it started waits in the inbox", () => {
      const f = new ApplyFixture();
      const holder = f.invoke(OBJ).id;
      const inboxed = f.invoke(OBJ).id;
      // As an earlier stet paused it, and may have stored it so.
      f.store.invocations.setStatus(inboxed, "paused", T0);
      const { actions } = control(f, "resume", inboxed);
      expect(actions).toEqual([{ kind: "abort", invocationId: inboxed }]);
      expect(f.record(inboxed)).toMatchObject({ status: "inboxed", holdsLock: false });
      expect(f.store.locks.holder("Obj", "k")).toBe(holder);
      expect(f.effect(holder, { kind: "end", result: value("") }).actions).toContainEqual({ kind: "enqueue", invocationId: inboxed });
      expect(f.record(inboxed)).toMatchObject({ status: "invoked", holdsLock: true });
    });

    it("refuses invocations that have not started (425) or have completed (409)", () => {
      const f = new ApplyFixture();
      const { scheduled, inboxed, completed } = inEveryState(f);
      expect(control(f, "resume", scheduled).result.refusal?.status).toBe(425);
      expect(control(f, "resume", inboxed).result.refusal?.status).toBe(425);
      expect(control(f, "resume", completed).result.refusal?.status).toBe(409);
      expect(f.record(inboxed)?.status).toBe("inboxed");
    });
  },
});
