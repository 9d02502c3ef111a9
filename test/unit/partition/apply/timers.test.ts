import { expect, it } from "vitest";
import type { InvocationId } from "../../../../protocol/index.js";
import { describeCases } from "./cases.js";
import { ApplyFixture, HERE, HANDLERS, OBJ, SVC, T0, WF, entry, finishedRun, value } from "./fixture.js";

const sleep = (wakeUpTime: number, resultCompletionId: number) => entry("SleepCommand", { wakeUpTime: BigInt(wakeUpTime), resultCompletionId });

/** An invocation suspended in a sleep until `at`. */
function sleeping(f: ApplyFixture, at: number): InvocationId {
  const { id } = f.invoke(SVC);
  f.journal(id, sleep(at, 1));
  f.suspend(id, { completions: [1] });
  return id;
}

const completedAt = (f: ApplyFixture, at: number, idempotencyKey?: string): InvocationId => {
  f.now = at;
  const { id } = f.invoke(SVC, { idempotencyKey });
  f.effect(id, { kind: "end", result: value("x") });
  return id;
};

describeCases("timers", {
  "journal SleepCommand": () => {
    it("stores a sleep timer for the invocation and asks to be woken at its time", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      const { actions } = f.journal(id, sleep(T0 + 1_000, 3));
      expect(f.store.timers.due(HERE, T0 + 1_000, 10)).toMatchObject([{ invocationId: id, kind: "sleep", completionId: 3, fireAt: T0 + 1_000 }]);
      expect(actions).toEqual([{ kind: "timer", fireAt: T0 + 1_000 }]);
    });
  },

  "fire-timers": () => {
    it("fires nothing before its time and reports when the next timer is due", () => {
      const f = new ApplyFixture();
      const id = sleeping(f, T0 + 1_000);
      f.now = T0 + 999;
      expect(f.apply({ kind: "fire-timers" })).toEqual({ result: { applied: true }, actions: [{ kind: "timer", fireAt: T0 + 1_000 }] });
      expect(f.record(id)?.status).toBe("suspended");
    });

    it("completes a due sleep and wakes the invocation; the timer is gone and the next is reported", () => {
      const f = new ApplyFixture();
      const due = sleeping(f, T0 + 1_000);
      sleeping(f, T0 + 5_000);
      f.now = T0 + 1_000;
      const { actions } = f.apply({ kind: "fire-timers" });
      expect(f.entries(due, 2)).toMatchObject([{ name: "SleepCompletionNotification", message: { completionId: 1 } }]);
      expect(f.record(due)?.status).toBe("invoked");
      expect(actions).toEqual([
        { kind: "notify", invocationId: due, entry: expect.anything() },
        { kind: "enqueue", invocationId: due },
        { kind: "timer", fireAt: T0 + 5_000 },
      ]);
      expect(f.store.timers.due(HERE, T0 + 1_000, 10)).toEqual([]);
    });

    it("starts a scheduled invocation when its time comes, behind its key's lock holder", () => {
      const f = new ApplyFixture();
      const plain = f.invoke(SVC, { executionTime: T0 + 100 }).id;
      const holder = f.invoke(OBJ).id;
      const delayed = f.invoke(OBJ, { executionTime: T0 + 100 }).id;
      f.now = T0 + 100;
      const { actions } = f.apply({ kind: "fire-timers" });
      expect(f.record(plain)?.status).toBe("invoked");
      expect(f.record(delayed)?.status).toBe("inboxed");
      expect(f.store.locks.holder("Obj", "k")).toBe(holder);
      expect(actions).toEqual([{ kind: "enqueue", invocationId: plain }]);
    });

    it("fires only this partition's timers", () => {
      const f = new ApplyFixture();
      const id = sleeping(f, T0 + 10);
      f.store.timers.add(1, T0, id, "sleep", 1);
      f.now = T0 + 5;
      expect(f.apply({ kind: "fire-timers" }).actions).toEqual([{ kind: "timer", fireAt: T0 + 10 }]);
    });
  },

  expire: () => {
    it("deletes completed invocations past their retention with their idempotency keys, and keeps the rest", () => {
      const f = new ApplyFixture();
      const old = completedAt(f, T0, "old");
      const recent = completedAt(f, T0 + 30_000, "recent");
      const running = f.invoke(SVC).id;
      f.now = T0 + 60_000;
      expect(f.apply({ kind: "expire" })).toEqual({ result: { applied: true, more: false }, actions: [] });
      expect(f.record(old)).toBeUndefined();
      expect(f.store.invocations.readJournal(old)).toEqual([]);
      expect(f.store.idempotency.get("Svc", "", "h", "old")).toBeUndefined();
      expect(f.record(recent)?.status).toBe("completed");
      expect(f.store.idempotency.get("Svc", "", "h", "recent")).toBe(recent);
      expect(f.record(running)?.status).toBe("invoked");
    });

    // restate-server 1.7.12 with `workflowRetention` 1 s: the run's output, state and promises go together.
    it("frees an expired workflow's key for a new run, and takes the run's state and promises along", () => {
      const f = new ApplyFixture();
      finishedRun(f);
      f.now = T0 + (HANDLERS["Wf/run"]!.retentionMs ?? 0);
      f.apply({ kind: "expire" });
      expect(f.state("Wf", "w")).toEqual({});
      expect(f.store.promises.get("Wf", "w", "p")).toBeUndefined();
      expect(f.invoke(WF).result.started?.existing).toBe(false);
    });

    it("deletes a bounded batch per command and says when more are due", () => {
      const f = new ApplyFixture();
      for (let i = 0; i < 501; i++) completedAt(f, T0);
      f.now = T0 + 60_000;
      expect(f.apply({ kind: "expire" }).result.more).toBe(true);
      expect(f.apply({ kind: "expire" }).result.more).toBe(false);
      expect(f.store.invocations.listExpired(HERE, f.now, 10)).toEqual([]);
    });
  },
});
