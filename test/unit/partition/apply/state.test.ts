import { expect, it } from "vitest";
import type { JournalFrame } from "../../../../invoker/index.js";
import { stateVersion } from "../../../../partition/index.js";
import { describeCases } from "./cases.js";
import { ApplyFixture, OBJ, bytes, decoded, entry, value } from "./fixture.js";

const set = (key: string, v: string) => entry("SetStateCommand", { key: bytes(key), value: { content: bytes(v) } });

/** An object invocation that holds `state` (written by an earlier invocation that ended). */
function objectWithState(state: Record<string, string>) {
  const f = new ApplyFixture();
  const writer = f.invoke(OBJ);
  f.journal(writer.id, ...Object.entries(state).map(([k, v]) => set(k, v)));
  f.effect(writer.id, { kind: "end", result: value("") });
  return { f, id: f.invoke(OBJ).id };
}

/** Journal-only commands: stored as the service wrote them, nothing else changes and nobody is told. */
function journalOnly(command: JournalFrame) {
  return () =>
    it("is stored in the journal and changes nothing else", () => {
      const { f, id } = objectWithState({ a: "1" });
      expect(f.journal(id, command)).toEqual({ result: { applied: true }, actions: [] });
      expect(f.entries(id, 1)).toEqual([decoded(command)]);
      expect(f.state("Obj", "k")).toEqual({ a: "1" });
    });
}

describeCases("state", {
  "journal InputCommand": journalOnly(entry("InputCommand", { headers: [], value: { content: bytes("again") } })),
  "journal OutputCommand": journalOnly(entry("OutputCommand", { result: { case: "value", value: { content: bytes("out") } } })),
  "journal RunCommand": journalOnly(entry("RunCommand", { resultCompletionId: 1, name: "side effect" })),
  "journal GetEagerStateCommand": journalOnly(entry("GetEagerStateCommand", { key: bytes("a"), result: { case: "value", value: { content: bytes("1") } } })),
  "journal GetEagerStateKeysCommand": journalOnly(entry("GetEagerStateKeysCommand", { value: { keys: [bytes("a")] } })),

  "journal SetStateCommand": () => {
    it("writes the key's value, replacing an earlier one", () => {
      const { f, id } = objectWithState({ a: "1", b: "2" });
      expect(f.journal(id, set("a", "one"), set("c", "3")).actions).toEqual([]);
      expect(f.state("Obj", "k")).toEqual({ a: "one", b: "2", c: "3" });
    });
  },

  "journal ClearStateCommand": () => {
    it("deletes one key and leaves the others", () => {
      const { f, id } = objectWithState({ a: "1", b: "2" });
      f.journal(id, entry("ClearStateCommand", { key: bytes("a") }));
      expect(f.state("Obj", "k")).toEqual({ b: "2" });
    });
  },

  "journal ClearAllStateCommand": () => {
    it("deletes every key of this object only", () => {
      const { f, id } = objectWithState({ a: "1", b: "2" });
      f.store.state.set("Obj", "other", bytes("a"), bytes("kept"));
      f.journal(id, entry("ClearAllStateCommand", {}));
      expect(f.state("Obj", "k")).toEqual({});
      expect(f.state("Obj", "other")).toEqual({ a: "kept" });
    });
  },

  "journal GetLazyStateCommand": () => {
    it("answers with the stored value, or with void for a missing key", () => {
      const { f, id } = objectWithState({ a: "1" });
      const { actions } = f.journal(
        id,
        entry("GetLazyStateCommand", { key: bytes("a"), resultCompletionId: 1 }),
        entry("GetLazyStateCommand", { key: bytes("zz"), resultCompletionId: 2 }),
      );
      expect(f.entries(id, 1)).toMatchObject([
        { name: "GetLazyStateCommand" },
        { name: "GetLazyStateCompletionNotification", message: { completionId: 1, result: { case: "value", value: { content: bytes("1") } } } },
        { name: "GetLazyStateCommand" },
        { name: "GetLazyStateCompletionNotification", message: { completionId: 2, result: { case: "void" } } },
      ]);
      expect(actions).toEqual([
        { kind: "notify", invocationId: id, entry: expect.anything() },
        { kind: "notify", invocationId: id, entry: expect.anything() },
      ]);
    });
  },

  "journal GetLazyStateKeysCommand": () => {
    it("answers with the object's keys in order", () => {
      const { f, id } = objectWithState({ b: "2", a: "1" });
      f.journal(id, entry("GetLazyStateKeysCommand", { resultCompletionId: 1 }));
      expect(f.entries(id, 2)).toMatchObject([
        { name: "GetLazyStateKeysCompletionNotification", message: { completionId: 1, stateKeys: { keys: [bytes("a"), bytes("b")] } } },
      ]);
    });
  },

  "mutate-state": () => {
    const mutation = (entries: Record<string, string>, expectedVersion: string | null = null) => ({
      kind: "mutate-state" as const,
      mutation: { service: "Obj", key: "k", expectedVersion, entries: Object.entries(entries).map(([k, v]) => [bytes(k), bytes(v)] as const) },
    });

    it("replaces the whole state at once when no exclusive handler holds the key", () => {
      const { f, id } = objectWithState({ a: "1", b: "2" });
      f.effect(id, { kind: "end", result: value("") });
      expect(f.apply(mutation({ c: "3" }))).toEqual({ result: { applied: true }, actions: [] });
      expect(f.state("Obj", "k")).toEqual({ c: "3" });
    });

    it("applies against the version it was made for, and is dropped when the state moved on", () => {
      const { f, id } = objectWithState({ a: "1" });
      f.effect(id, { kind: "end", result: value("") });
      const current = stateVersion([[bytes("a"), bytes("1")]]);
      f.apply(mutation({ a: "2" }, stateVersion([])));
      expect(f.state("Obj", "k")).toEqual({ a: "1" });
      f.apply(mutation({ a: "2" }, current));
      expect(f.state("Obj", "k")).toEqual({ a: "2" });
    });

    it("waits behind the lock holder and the invocations inboxed before it, then goes before later ones", () => {
      const { f, id: holder } = objectWithState({ a: "1" });
      const before = f.invoke(OBJ);
      f.apply(mutation({ m: "yes" }));
      const after = f.invoke(OBJ);
      expect(f.state("Obj", "k")).toEqual({ a: "1" });

      f.effect(holder, { kind: "end", result: value("") });
      expect(f.record(before.id)?.status).toBe("invoked");
      expect(f.state("Obj", "k")).toEqual({ a: "1" });

      f.journal(before.id, set("b", "2"));
      const { actions } = f.effect(before.id, { kind: "end", result: value("") });
      expect(f.state("Obj", "k")).toEqual({ m: "yes" });
      expect(f.store.locks.holder("Obj", "k")).toBe(after.id);
      expect(actions[0]).toEqual({ kind: "enqueue", invocationId: after.id });
    });
  },
});
