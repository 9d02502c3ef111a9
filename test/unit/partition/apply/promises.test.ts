import { expect, it } from "vitest";
import { describeCases } from "./cases.js";
import { ApplyFixture, WF, bytes, entry, value } from "./fixture.js";

const complete = (key: string, v: string, resultCompletionId = 9) =>
  entry("CompletePromiseCommand", { key, completion: { case: "completionValue", value: { content: bytes(v) } }, resultCompletionId });

/** A workflow's run and one of its shared handlers, on the same key. */
function workflow() {
  const f = new ApplyFixture();
  return { f, run: f.invoke(WF).id, signal: f.invoke({ ...WF, handler: "signal" }).id };
}

describeCases("promises", {
  "journal GetPromiseCommand": () => {
    it("answers at once with a promise already completed", () => {
      const { f, run, signal } = workflow();
      f.journal(signal, complete("p", "early"));
      const { actions } = f.journal(run, entry("GetPromiseCommand", { key: "p", resultCompletionId: 1 }));
      expect(f.entries(run, 2)).toMatchObject([
        { name: "GetPromiseCompletionNotification", message: { completionId: 1, result: { case: "value", value: { content: bytes("early") } } } },
      ]);
      expect(actions).toEqual([{ kind: "notify", invocationId: run, entry: expect.anything() }]);
    });

    it("waits for a promise not completed yet, and wakes the waiting invocation when it is", () => {
      const { f, run, signal } = workflow();
      expect(f.journal(run, entry("GetPromiseCommand", { key: "p", resultCompletionId: 1 })).actions).toEqual([]);
      f.suspend(run, { completions: [1] });

      const { actions } = f.journal(signal, complete("p", "late"));
      expect(f.entries(run, 2)).toMatchObject([
        { name: "GetPromiseCompletionNotification", message: { completionId: 1, result: { case: "value", value: { content: bytes("late") } } } },
      ]);
      expect(f.record(run)?.status).toBe("invoked");
      expect(actions).toEqual([
        { kind: "notify", invocationId: run, entry: expect.anything() },
        { kind: "enqueue", invocationId: run },
        { kind: "notify", invocationId: signal, entry: expect.anything() },
      ]);
    });
  },

  "journal PeekPromiseCommand": () => {
    it("answers void before the promise is completed and its value after, without waiting", () => {
      const { f, run, signal } = workflow();
      f.journal(run, entry("PeekPromiseCommand", { key: "p", resultCompletionId: 1 }));
      f.journal(signal, complete("p", "v"));
      f.journal(run, entry("PeekPromiseCommand", { key: "p", resultCompletionId: 2 }));
      expect(f.entries(run, 1).filter((e) => e.name === "PeekPromiseCompletionNotification")).toMatchObject([
        { message: { completionId: 1, result: { case: "void" } } },
        { message: { completionId: 2, result: { case: "value", value: { content: bytes("v") } } } },
      ]);
    });
  },

  "journal CompletePromiseCommand": () => {
    it("stores the value and answers void; a second completion is refused and changes nothing", () => {
      const { f, run, signal } = workflow();
      f.journal(signal, complete("p", "first", 1));
      f.journal(run, complete("p", "second", 2));
      expect(f.store.promises.get("Wf", "w", "p")).toEqual(value("first"));
      expect(f.entries(signal, 2)).toMatchObject([{ name: "CompletePromiseCompletionNotification", message: { completionId: 1, result: { case: "void" } } }]);
      expect(f.entries(run, 2)).toMatchObject([
        { name: "CompletePromiseCompletionNotification", message: { completionId: 2, result: { case: "failure", value: { code: 409 } } } },
      ]);
    });

    it("stores a failure as the promise's outcome", () => {
      const { f, signal } = workflow();
      f.journal(signal, entry("CompletePromiseCommand", { key: "p", completion: { case: "completionFailure", value: { code: 400, message: "no" } } }));
      expect(f.store.promises.get("Wf", "w", "p")).toEqual({ kind: "failure", code: 400, message: "no" });
    });
  },
});
