import { expect, it } from "vitest";
import { CommandRejected } from "../../../../partition/index.js";
import { formatAwakeableId, type InvocationId } from "../../../../protocol/index.js";
import { describeCases } from "./cases.js";
import { ApplyFixture, HERE, OBJ, SVC, T0, WF, bytes, entry, keyIn, kinds, value } from "./fixture.js";

type CallInit = { service?: string; handler?: string; key?: string; idempotencyKey?: string };

const call = ({ service = "Svc", handler = "h", key = "", idempotencyKey }: CallInit = {}) =>
  entry("CallCommand", {
    serviceName: service,
    handlerName: handler,
    key,
    parameter: bytes("arg"),
    headers: [{ key: "x-h", value: "1" }],
    idempotencyKey,
    invocationIdNotificationIdx: 1,
    resultCompletionId: 2,
  });

const send = (invokeTime = 0n, handler = "h") =>
  entry("OneWayCallCommand", { serviceName: "Svc", handlerName: handler, parameter: bytes("arg"), invokeTime, invocationIdNotificationIdx: 1 });

/** The invocation id the runtime answered a call's or send's invocation-id completion with. */
function childOf(f: ApplyFixture, parent: InvocationId): InvocationId {
  const notification = f.entries(parent).find((e) => e.name === "CallInvocationIdCompletionNotification");
  return notification?.message["invocationId"] as InvocationId;
}

const signal = (target: InvocationId, signalId: { case: "idx"; value: number } | { case: "name"; value: string }) =>
  entry("SendSignalCommand", { targetInvocationId: target, signalId, result: { case: "value", value: { content: bytes("sig") } } });

describeCases("calls", {
  "journal CallCommand": () => {
    it("starts the callee with the caller to answer, and tells the caller the callee's id", () => {
      const f = new ApplyFixture();
      const parent = f.invoke(SVC).id;
      const { actions } = f.journal(parent, call());
      const child = childOf(f, parent);
      expect(f.record(child)).toMatchObject({ status: "invoked", target: SVC, caller: { id: parent, completionId: 2 } });
      expect(f.entries(child)).toMatchObject([
        { name: "InputCommand", message: { value: { content: bytes("arg") }, headers: [{ key: "x-h", value: "1" }] } },
      ]);
      expect(f.entries(parent, 2)).toMatchObject([{ name: "CallInvocationIdCompletionNotification", message: { completionId: 1, invocationId: child } }]);
      expect(actions).toEqual([
        { kind: "started", target: SVC },
        { kind: "enqueue", invocationId: child },
        { kind: "notify", invocationId: parent, entry: expect.anything() },
      ]);
    });

    it("answers a call to an unknown handler with a 404 failure and starts nothing", () => {
      const f = new ApplyFixture();
      const parent = f.invoke(SVC).id;
      f.journal(parent, call({ handler: "missing" }));
      expect(f.entries(parent, 2)).toMatchObject([
        { name: "CallCompletionNotification", message: { completionId: 2, result: { case: "failure", value: { code: 404 } } } },
      ]);
      expect(f.unfinished()).toEqual([parent]);
    });

    it("writes the call to the outbox when the callee's key lives in another partition", () => {
      const f = new ApplyFixture({ partitionCount: 2 });
      const parent = f.invoke(SVC).id;
      const key = keyIn("Obj", 1, 2);
      const { actions } = f.journal(parent, call({ service: "Obj", handler: "run", key }));
      const child = childOf(f, parent);
      expect(f.record(child)).toBeUndefined();
      const [row] = f.outbox();
      expect(row).toMatchObject({ to: 1, message: { kind: "invoke", spec: { invocationId: child, target: { ...OBJ, key }, caller: { id: parent } } } });
      expect(actions[0]).toMatchObject({ kind: "outbox", seq: row!.seq, targetPartition: 1, message: { kind: "invoke" } });
    });

    // Restate 1.7.12 derives the id from the target and the idempotency key: a handler calling twice with
    // one key is told one id, the id an ingress call with that key answers (test/differential/idempotency.test.ts).
    it("tells a repeated idempotent call the id of the invocation the key already started", () => {
      const f = new ApplyFixture();
      const [first, second] = [f.invoke(SVC).id, f.invoke(SVC).id];
      f.journal(first, call({ idempotencyKey: "once" }));
      f.journal(second, call({ idempotencyKey: "once" }));
      const child = childOf(f, first);
      expect(childOf(f, second)).toBe(child);
      expect(f.record(child)?.caller).toEqual({ id: first, completionId: 2 });
      expect(f.unfinished().sort()).toEqual([first, second, child].sort());
      expect(f.invoke(SVC, { idempotencyKey: "once" }).result.started).toEqual({ invocationId: child, existing: true });
    });

    it("tells both callers the same id before the callee's partition has seen either call", () => {
      const f = new ApplyFixture({ partitionCount: 2 });
      const key = keyIn("Obj", 1, 2);
      const [first, second] = [f.invoke(SVC).id, f.invoke(SVC).id];
      f.journal(first, call({ service: "Obj", handler: "run", key, idempotencyKey: "once" }));
      f.journal(second, call({ service: "Obj", handler: "run", key, idempotencyKey: "once" }));
      expect(childOf(f, second)).toBe(childOf(f, first));
      expect(f.outbox().map((row) => row.message)).toMatchObject([
        { kind: "invoke", spec: { invocationId: childOf(f, first) } },
        { kind: "invoke", spec: { invocationId: childOf(f, first) } },
      ]);
    });

    it("gives another idempotency key, handler or object key another invocation", () => {
      const f = new ApplyFixture();
      const parent = f.invoke(SVC).id;
      const ids = [
        call({ service: "Obj", handler: "run", key: "a", idempotencyKey: "once" }),
        call({ service: "Obj", handler: "run", key: "a", idempotencyKey: "twice" }),
        call({ service: "Obj", handler: "get", key: "a", idempotencyKey: "once" }),
        call({ service: "Obj", handler: "run", key: "b", idempotencyKey: "once" }),
      ].map((command) => (f.journal(parent, command), f.entries(parent).at(-1)!.message["invocationId"]));
      expect(new Set(ids).size).toBe(4);
    });

    it("tells a repeated call of a workflow's run the id of the run the workflow key already started", () => {
      const f = new ApplyFixture();
      const [first, second] = [f.invoke(SVC).id, f.invoke(SVC).id];
      f.journal(first, call({ service: "Wf", handler: "run", key: "w" }));
      f.journal(second, call({ service: "Wf", handler: "run", key: "w" }));
      expect(childOf(f, second)).toBe(childOf(f, first));
      expect(f.store.idempotency.workflowRun("Wf", "w")).toBe(childOf(f, first));
    });
  },

  "journal OneWayCallCommand": () => {
    it("starts the callee with nobody to answer, and tells the sender its id", () => {
      const f = new ApplyFixture();
      const parent = f.invoke(SVC).id;
      f.journal(parent, send());
      expect(f.record(childOf(f, parent))).toMatchObject({ status: "invoked", caller: null });
    });

    it("schedules a delayed send", () => {
      const f = new ApplyFixture();
      const parent = f.invoke(SVC).id;
      const { actions } = f.journal(parent, send(BigInt(T0 + 500)));
      expect(f.record(childOf(f, parent))?.status).toBe("scheduled");
      expect(f.store.timers.earliest(HERE)).toBe(T0 + 500);
      expect(kinds(actions)).toEqual(["started", "timer", "notify"]);
    });

    it("tells a repeated idempotent send the id of the invocation the key already started", () => {
      const f = new ApplyFixture();
      const [first, second] = [f.invoke(SVC).id, f.invoke(SVC).id];
      const once = entry("OneWayCallCommand", { serviceName: "Svc", handlerName: "h", parameter: bytes("arg"), idempotencyKey: "once", invocationIdNotificationIdx: 1 });
      f.journal(first, once);
      f.journal(second, once);
      expect(childOf(f, second)).toBe(childOf(f, first));
      expect(f.unfinished().sort()).toEqual([first, second, childOf(f, first)].sort());
    });

    it("answers a send to an unknown handler with an empty id and starts nothing", () => {
      const f = new ApplyFixture();
      const parent = f.invoke(SVC).id;
      f.journal(parent, send(0n, "missing"));
      expect(childOf(f, parent)).toBe("");
      expect(f.unfinished()).toHaveLength(1);
    });
  },

  "journal SendSignalCommand": () => {
    it("delivers a named signal with its value to the target invocation", () => {
      const f = new ApplyFixture();
      const [sender, target] = [f.invoke(SVC).id, f.invoke(SVC).id];
      const { actions } = f.journal(sender, signal(target, { case: "name", value: "go" }));
      expect(f.entries(target, 1)).toMatchObject([
        { name: "SignalNotification", message: { signalId: { case: "name", value: "go" }, result: { case: "value", value: { content: bytes("sig") } } } },
      ]);
      expect(actions).toEqual([{ kind: "notify", invocationId: target, entry: expect.anything() }]);
    });

    it("cancels the target with the built-in cancel signal: an inboxed target is forgotten", () => {
      const f = new ApplyFixture();
      const sender = f.invoke(SVC).id;
      f.invoke(OBJ);
      const target = f.invoke(OBJ).id;
      f.journal(sender, signal(target, { case: "idx", value: 1 }));
      expect(f.record(target)).toBeUndefined();
    });

    it("rejects a target that is not an invocation id", () => {
      const f = new ApplyFixture();
      const sender = f.invoke(SVC).id;
      expect(() => f.journal(sender, signal("nope" as InvocationId, { case: "name", value: "go" }))).toThrow(CommandRejected);
    });
  },

  "journal CompleteAwakeableCommand": () => {
    it("completes the awakeable as its signal and wakes the invocation that awaits it", () => {
      const f = new ApplyFixture();
      const [completer, waiter] = [f.invoke(SVC).id, f.invoke(SVC).id];
      f.suspend(waiter, { signals: [17] });
      const awakeableId = formatAwakeableId(waiter, 17);
      const { actions } = f.journal(completer, entry("CompleteAwakeableCommand", { awakeableId, result: { case: "value", value: { content: bytes("ok") } } }));
      expect(f.entries(waiter, 1)).toMatchObject([
        { name: "SignalNotification", message: { signalId: { case: "idx", value: 17 }, result: { case: "value", value: { content: bytes("ok") } } } },
      ]);
      expect(f.record(waiter)?.status).toBe("invoked");
      expect(actions).toEqual([
        { kind: "notify", invocationId: waiter, entry: expect.anything() },
        { kind: "enqueue", invocationId: waiter },
      ]);
    });
  },

  "journal AttachInvocationCommand": () => {
    const attach = (target: Parameters<typeof entry<"AttachInvocationCommand">>[1]["target"]) =>
      entry("AttachInvocationCommand", { target, resultCompletionId: 5 });

    it("answers with the outcome of a completed invocation", () => {
      const f = new ApplyFixture();
      const [done, attacher] = [f.invoke(SVC).id, f.invoke(SVC).id];
      f.effect(done, { kind: "end", result: value("result") });
      f.journal(attacher, attach({ case: "invocationId", value: done }));
      expect(f.entries(attacher, 2)).toMatchObject([
        { name: "AttachInvocationCompletionNotification", message: { completionId: 5, result: { case: "value", value: { content: bytes("result") } } } },
      ]);
    });

    it("waits for a running workflow run named by its key and answers when it ends", () => {
      const f = new ApplyFixture();
      const [run, attacher] = [f.invoke(WF).id, f.invoke(SVC).id];
      f.journal(attacher, attach({ case: "workflowTarget", value: { workflowName: "Wf", workflowKey: "w" } }));
      expect(f.entries(attacher, 2)).toEqual([]);
      f.effect(run, { kind: "end", result: value("wf done") });
      expect(f.entries(attacher, 2)).toMatchObject([
        { name: "AttachInvocationCompletionNotification", message: { completionId: 5, result: { case: "value", value: { content: bytes("wf done") } } } },
      ]);
    });

    it("finds an invocation by its idempotency key, and answers 404 for a key that names none", () => {
      const f = new ApplyFixture();
      const done = f.invoke(SVC, { idempotencyKey: "once" }).id;
      f.effect(done, { kind: "end", result: value("r") });
      const attacher = f.invoke(SVC).id;
      const target = (idempotencyKey: string) =>
        attach({ case: "idempotentRequestTarget", value: { serviceName: "Svc", handlerName: "h", idempotencyKey } });
      f.journal(attacher, target("once"), target("never"));
      expect(f.entries(attacher, 2).filter((e) => e.name.endsWith("Notification"))).toMatchObject([
        { message: { result: { case: "value" } } },
        { message: { result: { case: "failure", value: { code: 404 } } } },
      ]);
    });
  },

  "journal GetInvocationOutputCommand": () => {
    it("answers at once: void while the invocation runs, its outcome once completed", () => {
      const f = new ApplyFixture();
      const [target, reader] = [f.invoke(SVC).id, f.invoke(SVC).id];
      const output = (resultCompletionId: number) => entry("GetInvocationOutputCommand", { target: { case: "invocationId", value: target }, resultCompletionId });
      f.journal(reader, output(1));
      f.effect(target, { kind: "end", result: value("out") });
      f.journal(reader, output(2));
      expect(f.entries(reader, 1).filter((e) => e.name === "GetInvocationOutputCompletionNotification")).toMatchObject([
        { message: { completionId: 1, result: { case: "void" } } },
        { message: { completionId: 2, result: { case: "value", value: { content: bytes("out") } } } },
      ]);
    });
  },
});
