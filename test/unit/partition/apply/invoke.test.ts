import { expect, it } from "vitest";
import { describeCases } from "./cases.js";
import { ApplyFixture, HERE, HANDLERS, bytes, OBJ, OBJ_SHARED, SVC, T0, WF, kinds, value } from "./fixture.js";

describeCases("invoke", {
  invoke: () => {
    it("stores a plain call as invoked with its input as the first entry, and enqueues it", () => {
      const f = new ApplyFixture();
      const { id, result, actions } = f.invoke(SVC, { body: "Ada" });
      expect(result).toEqual({ applied: true, started: { invocationId: id, existing: false } });
      expect(f.record(id)).toMatchObject({ status: "invoked", target: SVC, serviceType: "SERVICE", journalLength: 1, retryCount: 0 });
      expect(f.entries(id)).toMatchObject([{ name: "InputCommand", message: { value: { content: bytes("Ada") } } }]);
      expect(actions).toEqual([
        { kind: "started", target: SVC },
        { kind: "enqueue", invocationId: id },
      ]);
    });

    it("schedules a delayed call with a start timer instead of enqueueing it; a past time starts it now", () => {
      const f = new ApplyFixture();
      const later = f.invoke(SVC, { executionTime: T0 + 5_000 });
      expect(f.record(later.id)?.status).toBe("scheduled");
      expect(f.store.timers.due(HERE, T0 + 5_000, 10)).toMatchObject([{ invocationId: later.id, kind: "start", fireAt: T0 + 5_000 }]);
      expect(later.actions).toEqual([
        { kind: "started", target: SVC },
        { kind: "timer", fireAt: T0 + 5_000 },
      ]);

      const past = f.invoke(SVC, { executionTime: T0 - 1 });
      expect(f.record(past.id)?.status).toBe("invoked");
      expect(kinds(past.actions)).toEqual(["started", "enqueue"]);
    });

    it("gives an exclusive handler its key's lock, inboxes the next one, and lets a shared handler run beside it", () => {
      const f = new ApplyFixture();
      const first = f.invoke(OBJ);
      expect(f.store.locks.holder("Obj", "k")).toBe(first.id);
      expect(f.record(first.id)).toMatchObject({ status: "invoked", holdsLock: true });

      const second = f.invoke(OBJ);
      expect(f.record(second.id)).toMatchObject({ status: "inboxed", holdsLock: false });
      expect(kinds(second.actions)).toEqual(["started"]);

      const shared = f.invoke(OBJ_SHARED);
      expect(f.record(shared.id)).toMatchObject({ status: "invoked", holdsLock: false });
      expect(kinds(shared.actions)).toEqual(["started", "enqueue"]);
      expect(f.store.locks.holder("Obj", "k")).toBe(first.id);
      // The inbox holds the second exclusive call only.
      expect(f.store.locks.dequeue("Obj", "k")).toBe(second.id);
      expect(f.store.locks.dequeue("Obj", "k")).toBeUndefined();
    });

    it("answers a repeated idempotency key with the invocation it already started, and creates nothing", () => {
      const f = new ApplyFixture();
      const first = f.invoke(SVC, { idempotencyKey: "once" });
      const again = f.invoke(SVC, { idempotencyKey: "once" });
      expect(again.result.started).toEqual({ invocationId: first.id, existing: true });
      expect(again.actions).toEqual([]);
      expect(f.unfinished()).toEqual([first.id]);
      // The key is per handler: another handler with the same key is another invocation.
      f.handlers.set("Svc/other", HANDLERS["Svc/h"]!);
      const other = f.invoke({ ...SVC, handler: "other" }, { idempotencyKey: "once" });
      expect(other.result.started?.existing).toBe(false);
    });

    it("runs a workflow's run handler once per key; its shared handlers are not runs", () => {
      const f = new ApplyFixture();
      const run = f.invoke(WF);
      expect(f.store.idempotency.workflowRun("Wf", "w")).toBe(run.id);
      expect(f.store.locks.holder("Wf", "w")).toBe(run.id);
      expect(f.invoke(WF).result.started).toEqual({ invocationId: run.id, existing: true });

      const signal = f.invoke({ ...WF, handler: "signal" });
      expect(signal.result.started?.existing).toBe(false);
      expect(f.store.idempotency.workflowRun("Wf", "w")).toBe(run.id);
    });

    it("answers a calling invocation that repeats an idempotency key with the existing outcome", () => {
      const f = new ApplyFixture();
      const first = f.invoke(SVC, { idempotencyKey: "once" });
      f.effect(first.id, { kind: "end", result: value("done") });
      const caller = f.invoke(SVC);

      const again = f.invoke(SVC, { idempotencyKey: "once", caller: { id: caller.id, completionId: 3 } });
      expect(again.result.started).toEqual({ invocationId: first.id, existing: true });
      expect(f.entries(caller.id, 1)).toMatchObject([
        { name: "CallCompletionNotification", message: { completionId: 3, result: { case: "value", value: { content: bytes("done") } } } },
      ]);
      expect(again.actions).toEqual([{ kind: "notify", invocationId: caller.id, entry: expect.anything() }]);
    });

    it("makes a calling invocation that repeats the key of a running one wait for its outcome", () => {
      const f = new ApplyFixture();
      const first = f.invoke(SVC, { idempotencyKey: "once" });
      const caller = f.invoke(SVC);
      f.invoke(SVC, { idempotencyKey: "once", caller: { id: caller.id, completionId: 3 } });
      expect(f.entries(caller.id, 1)).toEqual([]);

      const end = f.effect(first.id, { kind: "end", result: value("done") });
      expect(f.entries(caller.id, 1)).toMatchObject([{ name: "CallCompletionNotification", message: { completionId: 3 } }]);
      expect(end.actions).toContainEqual({ kind: "notify", invocationId: caller.id, entry: expect.anything() });
    });
  },
});
