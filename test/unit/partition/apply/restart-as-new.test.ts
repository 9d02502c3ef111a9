import { expect, it } from "vitest";
import type { RestartRefusal } from "../../../../partition/index.js";
import { partitionKeyOf, type InvocationId } from "../../../../protocol/index.js";
import { describeCases } from "./cases.js";
import { ApplyFixture, HERE, OBJ, SVC, T0, WF, bytes, entry, idIn, inEveryState, kinds, value } from "./fixture.js";

const restart = (f: ApplyFixture, invocationId: InvocationId, copyUpTo = 0) => f.apply({ kind: "restart-as-new", invocationId, copyUpTo });

const run = (completionId: number) => entry("RunCommand", { resultCompletionId: completionId, name: `step${completionId}` });
const ran = (completionId: number) => entry("RunCompletionNotification", { completionId, result: { case: "value", value: { content: bytes("r") } } });

/** A refusal as the partition answers it: nothing applied, nothing to do after the commit. */
const refused = (reason: RestartRefusal, status: number) => ({
  result: { applied: false, refusal: { status, message: expect.any(String), reason } },
  actions: [],
});

describeCases("restart-as-new", {
  "restart-as-new": () => {
    it("starts a new invocation of the target, in the same partition, with the journal up to the entry and the later completions of its commands", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC, { body: "again" });
      // 0 Input | 1 Run | 2 Run | 3 completion of 1 | 4 completion of 2
      f.journal(id, run(1), run(2));
      f.effect(id, { kind: "run-completion", completionId: 1, notification: ran(1) });
      f.effect(id, { kind: "run-completion", completionId: 2, notification: ran(2) });
      f.effect(id, { kind: "end", result: value("x") });

      const { result, actions } = restart(f, id, 1);
      const restarted = result.started!.invocationId;
      expect(result).toEqual({ applied: true, started: { invocationId: restarted, existing: false } });
      expect(restarted).not.toBe(id);
      expect(partitionKeyOf(restarted)).toBe(partitionKeyOf(id));
      expect(f.record(restarted)).toMatchObject({ status: "invoked", target: SVC, journalLength: 3, caller: null, idempotencyKey: null });
      const original = f.entries(id);
      expect(f.entries(restarted)).toEqual([original[0], original[1], original[3]]);
      expect(actions).toEqual([
        { kind: "started", target: SVC },
        { kind: "enqueue", invocationId: restarted },
      ]);
    });

    it("copies the input alone from entry 0, and the whole journal from its last entry", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      f.journal(id, run(1));
      f.effect(id, { kind: "run-completion", completionId: 1, notification: ran(1) });
      f.effect(id, { kind: "end", result: value("x") });
      expect(f.entries(restart(f, id, 0).result.started!.invocationId)).toEqual(f.entries(id).slice(0, 1));
      expect(f.entries(restart(f, id, 2).result.started!.invocationId)).toEqual(f.entries(id));
    });

    it("does not carry out the copied commands again: no state write, no call, no timer", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(OBJ);
      f.journal(
        id,
        entry("SetStateCommand", { key: bytes("a"), value: { content: bytes("1") } }),
        entry("CallCommand", { serviceName: "Svc", handlerName: "h", parameter: bytes(""), invocationIdNotificationIdx: 1, resultCompletionId: 2 }),
      );
      const [child] = f.store.invocations.listLiveChildren(id);
      f.effect(child!, { kind: "end", result: value("c") });
      f.journal(id, entry("SleepCommand", { resultCompletionId: 3, wakeUpTime: BigInt(T0 + 10) }));
      f.now = T0 + 10;
      f.apply({ kind: "fire-timers" });
      f.effect(id, { kind: "end", result: value("x") });
      // The state moved on since: the copy must not write it back.
      const other = f.invoke(OBJ).id;
      f.journal(other, entry("SetStateCommand", { key: bytes("a"), value: { content: bytes("2") } }));
      f.effect(other, { kind: "end", result: value("") });

      const { result, actions } = restart(f, id, f.record(id)!.journalLength - 1);
      const restarted = result.started!.invocationId;
      expect(f.entries(restarted)).toEqual(f.entries(id));
      expect(f.state("Obj", "k")).toEqual({ a: "2" });
      expect(f.unfinished()).toEqual([restarted]);
      expect(f.store.timers.earliest(HERE)).toBeUndefined();
      expect(kinds(actions)).toEqual(["started", "enqueue"]);
    });

    it("queues the new invocation of an exclusive handler behind its key's lock holder", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(OBJ);
      f.effect(id, { kind: "end", result: value("x") });
      const holder = f.invoke(OBJ).id;
      const { result, actions } = restart(f, id);
      const restarted = result.started!.invocationId;
      expect(f.record(restarted)?.status).toBe("inboxed");
      expect(kinds(actions)).toEqual(["started"]);
      expect(kinds(f.effect(holder, { kind: "end", result: value("") }).actions)).toEqual(["enqueue", "completed"]);
      expect(f.store.locks.holder("Obj", "k")).toBe(restarted);
    });

    it("leaves the original as it was: its outcome, and its idempotency key, which still names it", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC, { idempotencyKey: "once" });
      f.effect(id, { kind: "end", result: value("x") });
      const before = f.record(id);
      restart(f, id);
      expect(f.record(id)).toEqual(before);
      expect(f.invoke(SVC, { idempotencyKey: "once" }).result.started).toEqual({ invocationId: id, existing: true });
    });

    it("refuses an unknown invocation (404)", () => {
      const f = new ApplyFixture();
      expect(restart(f, idIn(HERE, 1))).toEqual(refused("not-found", 404));
    });

    it("refuses an invocation that has not started (425) or has not completed (409), and changes nothing", () => {
      const f = new ApplyFixture();
      const { completed: _, ...unfinished } = inEveryState(f);
      const before = f.unfinished();
      for (const [status, id] of Object.entries(unfinished)) {
        const notStarted = status === "scheduled" || status === "inboxed";
        expect(restart(f, id), status).toEqual(notStarted ? refused("not-started", 425) : refused("still-running", 409));
        expect(f.record(id)?.status).toBe(status);
      }
      expect(f.unfinished()).toEqual(before);
    });

    it("refuses every handler of a workflow, its run and its shared handlers (422)", () => {
      const f = new ApplyFixture();
      for (const handler of ["run", "signal"]) {
        const { id } = f.invoke({ ...WF, handler });
        f.effect(id, { kind: "end", result: value("x") });
        expect(restart(f, id), handler).toEqual(refused("unsupported", 422));
      }
    });

    it("refuses a completed invocation whose journal is gone (410)", () => {
      const f = new ApplyFixture();
      const id = idIn(HERE, 1);
      f.store.invocations.insert({ ...f.spec(SVC), id, partition: HERE, serviceType: "SERVICE", handlerType: null, status: "invoked", retentionMs: null, now: T0 });
      f.store.invocations.complete(id, value("x"), T0);
      expect(restart(f, id)).toEqual(refused("missing-input", 410));
    });

    it("refuses a handler that no deployment serves any more (400)", () => {
      const f = new ApplyFixture();
      const { completed } = inEveryState(f);
      f.handlers.delete("Svc/h");
      expect(restart(f, completed)).toEqual(refused("deployment-not-found", 400));
    });

    it("refuses a prefix with a command whose completion never came, or past the journal's end (400)", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      // A sleep cut short by a kill: its completion never comes.
      f.journal(id, entry("SleepCommand", { resultCompletionId: 1, wakeUpTime: BigInt(T0 + 10) }));
      f.apply({ kind: "control", op: "kill", invocationId: id });
      const before = f.unfinished();
      expect(restart(f, id, 1)).toEqual(refused("copy-range-invalid", 400));
      expect(restart(f, id, 2)).toEqual(refused("copy-range-invalid", 400));
      expect(restart(f, id, 0xffff_ffff)).toEqual(refused("index-out-of-range", 400));
      expect(f.unfinished()).toEqual(before);
      expect(restart(f, id, 0).result.applied).toBe(true);
    });
  },
});
