import { expect, it } from "vitest";
import { encodeEntry, type PartitionMessage } from "../../../../partition/index.js";
import { MessageType, type InvocationId } from "../../../../protocol/index.js";
import { describeCases } from "./cases.js";
import { ApplyFixture, HERE, OBJ, SVC, bytes, entry, idIn, kinds, value } from "./fixture.js";

const message = (f: ApplyFixture, m: PartitionMessage) => f.apply({ kind: "message", message: m });
const notify = (invocationId: InvocationId, name = "go"): PartitionMessage => ({
  kind: "notify",
  invocationId,
  entry: encodeEntry(entry("SignalNotification", { signalId: { case: "name", value: name }, result: { case: "void", value: {} } })),
});

describeCases("messages", {
  deliver: () => {
    it("applies a message from another partition's outbox once, deleting the row in the same transaction", () => {
      const f = new ApplyFixture({ partitionCount: 2 });
      const { id } = f.invoke(SVC);
      const seq = f.store.outbox.add(1, HERE, JSON.stringify(notify(id)));
      expect(kinds(f.apply({ kind: "deliver", seq, message: notify(id) }).actions)).toEqual(["notify"]);
      // Delivered again (the sender's next leader re-sends its outbox): nothing happens.
      expect(f.apply({ kind: "deliver", seq, message: notify(id) })).toEqual({ result: { applied: true }, actions: [] });
      expect(f.entries(id, 1)).toHaveLength(1);
    });
  },

  message: () => {
    it("applies a message from outside the partitions at once, without the outbox", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      expect(message(f, notify(id))).toEqual({ result: { applied: true }, actions: [{ kind: "notify", invocationId: id, entry: expect.anything() }] });
      expect(f.outbox()).toEqual([]);
    });
  },

  "message invoke": () => {
    it("starts the invocation a caller in another partition asked for, and sends the result back through the outbox", () => {
      const f = new ApplyFixture({ partitionCount: 2 });
      const caller = idIn(1, 2);
      const spec = f.spec(SVC, { caller: { id: caller, completionId: 7 } });
      expect(kinds(message(f, { kind: "invoke", spec }).actions)).toEqual(["started", "enqueue"]);
      expect(f.record(spec.invocationId)).toMatchObject({ status: "invoked", caller: { id: caller, completionId: 7 } });

      const { actions } = f.effect(spec.invocationId, { kind: "end", result: value("back") });
      expect(f.outbox()).toMatchObject([{ to: 1, message: { kind: "notify", invocationId: caller } }]);
      expect(actions[0]).toMatchObject({ kind: "outbox", targetPartition: 1, message: { kind: "notify", invocationId: caller } });
    });
  },

  "message notify": () => {
    it("appends the notification; for a completed or unknown invocation it does nothing", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      message(f, notify(id, "one"));
      f.effect(id, { kind: "end", result: value("") });
      expect(message(f, notify(id, "late")).actions).toEqual([]);
      expect(message(f, notify(idIn(0, 1))).actions).toEqual([]);
      expect(f.entries(id, 1)).toMatchObject([{ name: "SignalNotification", message: { signalId: { value: "one" } } }]);
    });

    it("wakes a suspended invocation only for what it awaits", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      f.suspend(id, { names: ["wanted"] });
      expect(kinds(message(f, notify(id, "other")).actions)).toEqual(["notify"]);
      expect(f.record(id)?.status).toBe("suspended");
      expect(kinds(message(f, notify(id, "wanted")).actions)).toEqual(["notify", "enqueue"]);
      expect(f.record(id)?.status).toBe("invoked");
    });
  },

  "message cancel": () => {
    it("cancels the invocation as an operator's cancel does", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      message(f, { kind: "cancel", invocationId: id });
      expect(f.entries(id, 1)).toMatchObject([{ name: "SignalNotification", message: { signalId: { case: "idx", value: 1 } } }]);
    });
  },

  "message kill": () => {
    it("kills the invocation and passes its lock on", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(OBJ);
      const next = f.invoke(OBJ).id;
      message(f, { kind: "kill", invocationId: id });
      expect(f.record(id)?.outcome).toEqual({ kind: "failure", code: 409, message: "killed" });
      expect(f.store.locks.holder("Obj", "k")).toBe(next);
    });
  },

  "message await-outcome": () => {
    const awaitOutcome = (target: InvocationId, waiterId: InvocationId, peek: boolean): PartitionMessage => ({
      kind: "await-outcome",
      target: { kind: "id", invocationId: target },
      waiterId,
      completionId: 3,
      notificationType: MessageType.AttachInvocationCompletionNotification,
      peek,
    });

    it("answers a waiter in another partition through the outbox once the invocation ends", () => {
      const f = new ApplyFixture({ partitionCount: 2 });
      const { id } = f.invoke(SVC);
      const waiter = idIn(1, 2);
      expect(message(f, awaitOutcome(id, waiter, false)).actions).toEqual([]);
      f.effect(id, { kind: "end", result: value("r") });
      expect(f.outbox()).toMatchObject([
        { to: 1, message: { kind: "outcome", waiterId: waiter, completionId: 3, outcome: { kind: "value", value: Buffer.from("r").toString("base64") } } },
      ]);
    });

    it("answers a peek at once with no outcome while the invocation runs, and an unknown one with 404", () => {
      const f = new ApplyFixture({ partitionCount: 2 });
      const { id } = f.invoke(SVC);
      const waiter = idIn(1, 2);
      message(f, awaitOutcome(id, waiter, true));
      message(f, awaitOutcome(idIn(0, 2), waiter, false));
      expect(f.outbox()).toMatchObject([
        { to: 1, message: { kind: "outcome", outcome: null } },
        { to: 1, message: { kind: "outcome", outcome: { kind: "failure", code: 404 } } },
      ]);
    });
  },

  "message outcome": () => {
    it("delivers the outcome to the waiter as the notification it asked for", () => {
      const f = new ApplyFixture();
      const { id } = f.invoke(SVC);
      const outcome = (notificationType: number, completionId: number, o: Extract<PartitionMessage, { kind: "outcome" }>["outcome"]) =>
        message(f, { kind: "outcome", waiterId: id, completionId, notificationType, outcome: o });
      outcome(MessageType.CallCompletionNotification, 1, { kind: "value", value: Buffer.from("v").toString("base64") });
      outcome(MessageType.GetInvocationOutputCompletionNotification, 2, null);
      outcome(MessageType.AttachInvocationCompletionNotification, 3, { kind: "failure", code: 500, message: "x" });
      expect(f.entries(id, 1)).toMatchObject([
        { name: "CallCompletionNotification", message: { completionId: 1, result: { case: "value", value: { content: bytes("v") } } } },
        { name: "GetInvocationOutputCompletionNotification", message: { completionId: 2, result: { case: "void" } } },
        { name: "AttachInvocationCompletionNotification", message: { completionId: 3, result: { case: "failure", value: { code: 500 } } } },
      ]);
    });
  },
});
