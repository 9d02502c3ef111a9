import { beforeEach, describe, expect, it } from "vitest";
import type { PartitionStore } from "../../../partition/index.js";
import { isStateMutationMarker } from "../../../partition/storage/state-mutation-table.js";
import { bytes, newId, P0, P1, T0, text, write, type OpenStore } from "./contract-helpers.js";

/** The contract of the tables beside the invocations: state, locks and inboxes, timers, outbox, keys, promises, waiters. */
export function keyedTablesContract(open: OpenStore): void {
  let store: PartitionStore;
  beforeEach(() => {
    store = open();
  });
  const stateOf = (service: string, key: string) => store.state.all(service, key).map(([k, v]) => [[...k], text(v)]);

  describe("state", () => {
    it("sets, overwrites, reads and clears one key", async () => {
      await write(store, () => store.state.set("O", "k", bytes("a"), bytes("1")));
      await write(store, () => store.state.set("O", "k", bytes("a"), bytes("2")));
      expect(text(store.state.get("O", "k", bytes("a")))).toBe("2");
      expect(store.state.get("O", "k", bytes("b"))).toBeUndefined();
      await write(store, () => store.state.clear("O", "k", bytes("a")));
      expect(store.state.get("O", "k", bytes("a"))).toBeUndefined();
      expect(store.state.all("O", "k")).toEqual([]);
    });

    it("lists an object's keys and entries in byte order", async () => {
      const keys = [[0x62], [0x61, 0x62], [0xff], [0x61], [0x00], [0x61, 0x00]];
      await write(store, () => keys.forEach((k, i) => store.state.set("O", "k", Buffer.from(k), bytes(`v${i}`))));
      const sorted = [[0x00], [0x61], [0x61, 0x00], [0x61, 0x62], [0x62], [0xff]];
      expect(store.state.keys("O", "k").map((k) => [...k])).toEqual(sorted);
      expect(stateOf("O", "k")).toEqual(sorted.map((k) => [k, `v${keys.findIndex((x) => x.join() === k.join())}`]));
    });

    it("keeps each object's state apart, also where service and key run into each other, and clears one whole", async () => {
      await write(store, () => {
        store.state.set("a", "bc", bytes("s"), bytes("1"));
        store.state.set("ab", "c", bytes("s"), bytes("2"));
        store.state.set("a", "b", bytes("cs"), bytes("3"));
        store.state.set("a", "bc", bytes("t"), bytes("4"));
      });
      expect(text(store.state.get("ab", "c", bytes("s")))).toBe("2");
      expect(store.state.keys("a", "b").map((k) => text(k))).toEqual(["cs"]);
      await write(store, () => store.state.clearAll("a", "bc"));
      expect(store.state.all("a", "bc")).toEqual([]);
      expect(stateOf("ab", "c")).toEqual([[[0x73], "2"]]);
      expect(stateOf("a", "b")).toEqual([[[0x63, 0x73], "3"]]);
    });
  });

  describe("locks and inboxes", () => {
    it("gives a key's lock to one invocation at a time, released only by its holder", async () => {
      const [a, b] = [newId(), newId()];
      expect(store.locks.holder("O", "k")).toBeUndefined();
      await write(store, () => store.locks.take("O", "k", a));
      expect(store.locks.holder("O", "k")).toBe(a);
      await expect(write(store, () => store.locks.take("O", "k", b))).rejects.toThrow();
      await write(store, () => store.locks.release("O", "k", b));
      expect(store.locks.holder("O", "k")).toBe(a);
      await write(store, () => store.locks.release("O", "k", a));
      expect(store.locks.holder("O", "k")).toBeUndefined();
      await write(store, () => store.locks.take("O", "k", b));
      expect(store.locks.holder("O", "k")).toBe(b);
    });

    it("queues each key's inbox in arrival order, apart from other keys'", async () => {
      const ids = [newId(), newId(), newId(), newId()];
      await write(store, () => {
        store.locks.enqueue("O", "k", ids[0]!);
        store.locks.enqueue("O", "other", ids[1]!);
        store.locks.enqueue("O", "k", ids[2]!);
        store.locks.enqueue("O", "k", ids[3]!);
      });
      const drained = await write(store, () => [store.locks.dequeue("O", "k"), store.locks.dequeue("O", "k")]);
      expect(drained).toEqual([ids[0], ids[2]]);
      await write(store, () => store.locks.enqueue("O", "k", ids[0]!));
      expect(await write(store, () => [1, 2, 3].map(() => store.locks.dequeue("O", "k")))).toEqual([ids[3], ids[0], undefined]);
      expect(await write(store, () => store.locks.dequeue("O", "other"))).toBe(ids[1]);
    });

    it("removes an invocation from every inbox it waits in, and keeps the others' order", async () => {
      const [gone, a, b] = [newId(), newId(), newId()];
      await write(store, () => {
        store.locks.enqueue("O", "k", a);
        store.locks.enqueue("O", "k", gone);
        store.locks.enqueue("O", "j", gone);
        store.locks.enqueue("O", "k", b);
      });
      await write(store, () => store.locks.removeFromInbox(gone));
      expect(await write(store, () => [1, 2, 3].map(() => store.locks.dequeue("O", "k")))).toEqual([a, b, undefined]);
      expect(await write(store, () => store.locks.dequeue("O", "j"))).toBeUndefined();
    });
  });

  describe("timers", () => {
    it("returns a partition's due timers by due time, then in the order they were added, at most `limit`", async () => {
      const [a, b, c, d] = [newId(), newId(), newId(), newId()];
      await write(store, () => {
        store.timers.add(P0, T0 + 20, a, "sleep", 1);
        store.timers.add(P0, T0 + 10, b, "start", null);
        store.timers.add(P0, T0 + 20, c, "sleep", 2);
        store.timers.add(P1, T0, d, "sleep", 3);
        store.timers.add(P0, T0 + 30, d, "sleep", 4);
      });
      const due = store.timers.due(P0, T0 + 20, 10);
      expect(due.map((t) => [t.invocationId, t.kind, t.completionId, t.fireAt])).toEqual([
        [b, "start", null, T0 + 10],
        [a, "sleep", 1, T0 + 20],
        [c, "sleep", 2, T0 + 20],
      ]);
      expect(new Set(due.map((t) => t.seq)).size).toBe(3);
      expect(store.timers.due(P0, T0 + 20, 2).map((t) => t.invocationId)).toEqual([b, a]);
      expect(store.timers.due(P0, T0 + 9, 10)).toEqual([]);
      expect(store.timers.earliest(P0)).toBe(T0 + 10);
      expect(store.timers.earliest(P1)).toBe(T0);
      expect(store.timers.earliest(7)).toBeUndefined();
      expect(store.timers.count()).toBe(5);
    });

    it("deletes one timer by its seq, or every timer of an invocation in any partition", async () => {
      const [a, b] = [newId(), newId()];
      await write(store, () => {
        store.timers.add(P0, T0 + 1, a, "sleep", 1);
        store.timers.add(P0, T0 + 2, b, "sleep", 1);
        store.timers.add(P1, T0 + 3, a, "sleep", 2);
        store.timers.add(P0, T0 + 4, b, "sleep", 2);
      });
      const [first] = store.timers.due(P0, T0 + 10, 10);
      await write(store, () => store.timers.delete(first!.seq));
      await write(store, () => store.timers.deleteFor(b));
      expect(store.timers.count()).toBe(1);
      expect(store.timers.due(P0, T0 + 10, 10)).toEqual([]);
      expect(store.timers.due(P1, T0 + 10, 10).map((t) => t.invocationId)).toEqual([a]);
      expect(store.timers.earliest(P0)).toBeUndefined();
    });
  });

  describe("outbox", () => {
    it("numbers messages in order, lists a source's pending ones, and takes each once", async () => {
      const seqs = await write(store, () => [store.outbox.add(P0, 1, "m1"), store.outbox.add(P1, 0, "x"), store.outbox.add(P0, 2, "m2")]);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(3);
      expect(store.outbox.pending(P0)).toEqual([
        { seq: seqs[0], targetPartition: 1, message: "m1" },
        { seq: seqs[2], targetPartition: 2, message: "m2" },
      ]);
      expect(await write(store, () => [store.outbox.take(seqs[0]!), store.outbox.take(seqs[0]!)])).toEqual([true, false]);
      expect(store.outbox.pending(P0).map((r) => r.message)).toEqual(["m2"]);
      expect(store.outbox.pending(P1).map((r) => r.message)).toEqual(["x"]);
    });
  });

  describe("idempotency keys and workflow runs", () => {
    it("names the invocation a key or a workflow started, refuses a second, and forgets what names one invocation", async () => {
      const [a, b] = [newId(), newId()];
      await write(store, () => {
        store.idempotency.put("S", "", "h", "k1", a);
        store.idempotency.put("S", "", "h", "k2", a);
        store.idempotency.put("S", "", "h", "k3", b);
        store.idempotency.putWorkflowRun("W", "w1", a);
        store.idempotency.putWorkflowRun("W", "w2", b);
      });
      expect(store.idempotency.get("S", "", "h", "k1")).toBe(a);
      expect(store.idempotency.get("S", "", "g", "k1")).toBeUndefined();
      expect(store.idempotency.workflowRun("W", "w2")).toBe(b);
      await expect(write(store, () => store.idempotency.put("S", "", "h", "k1", b))).rejects.toThrow();
      await expect(write(store, () => store.idempotency.putWorkflowRun("W", "w1", b))).rejects.toThrow();
      await write(store, () => store.idempotency.deleteFor(a));
      expect([store.idempotency.get("S", "", "h", "k1"), store.idempotency.get("S", "", "h", "k2"), store.idempotency.workflowRun("W", "w1")]).toEqual([
        undefined,
        undefined,
        undefined,
      ]);
      expect([store.idempotency.get("S", "", "h", "k3"), store.idempotency.workflowRun("W", "w2")]).toEqual([b, b]);
    });
  });

  describe("promises", () => {
    it("keeps a workflow's promises once each, and clears one workflow key's", async () => {
      await write(store, () => {
        store.promises.put("W", "w", "p", { kind: "value", value: bytes("v") });
        store.promises.put("W", "w", "q", { kind: "failure", code: 400, message: "no" });
        store.promises.put("W", "v", "p", { kind: "value", value: bytes("other") });
      });
      expect(store.promises.get("W", "w", "p")).toEqual({ kind: "value", value: bytes("v") });
      expect(store.promises.get("W", "w", "q")).toEqual({ kind: "failure", code: 400, message: "no" });
      await expect(write(store, () => store.promises.put("W", "w", "p", { kind: "value", value: bytes("again") }))).rejects.toThrow();
      await write(store, () => store.promises.clearAll("W", "w"));
      expect([store.promises.get("W", "w", "p"), store.promises.get("W", "w", "q")]).toEqual([undefined, undefined]);
      expect(store.promises.get("W", "v", "p")).toEqual({ kind: "value", value: bytes("other") });
    });
  });

  describe("waiters", () => {
    it("hands out everyone waiting on a target once, in the order they came", async () => {
      const [a, b, c] = [newId(), newId(), newId()];
      await write(store, () => {
        store.waiters.add("outcome", "t", { waiterId: a, completionId: 1, notificationType: 10 });
        store.waiters.add("promise", "t", { waiterId: c, completionId: 3, notificationType: 30 });
        store.waiters.add("outcome", "t", { waiterId: b, completionId: 2, notificationType: 20 });
        store.waiters.add("outcome", "u", { waiterId: c, completionId: 4, notificationType: 40 });
      });
      expect(await write(store, () => store.waiters.take("outcome", "t"))).toEqual([
        { waiterId: a, completionId: 1, notificationType: 10 },
        { waiterId: b, completionId: 2, notificationType: 20 },
      ]);
      expect(await write(store, () => store.waiters.take("outcome", "t"))).toEqual([]);
      expect((await write(store, () => store.waiters.take("promise", "t"))).map((w) => w.waiterId)).toEqual([c]);
      expect((await write(store, () => store.waiters.take("outcome", "u"))).map((w) => w.waiterId)).toEqual([c]);
    });
  });

  describe("state mutations", () => {
    it("stores a mutation under a marker of its own and hands it out once", async () => {
      const mutation = { service: "O", key: "k", expectedVersion: "v1", entries: [[bytes("a"), bytes("1")], [bytes("b"), bytes("")]] as const };
      const [m1, m2] = await write(store, () => [store.stateMutations.add(mutation), store.stateMutations.add({ ...mutation, expectedVersion: null })]);
      expect(isStateMutationMarker(m1!)).toBe(true);
      expect(m1).not.toBe(m2);
      expect(await write(store, () => store.stateMutations.take(m1!))).toEqual(mutation);
      expect(await write(store, () => store.stateMutations.take(m1!))).toBeUndefined();
      expect(await write(store, () => store.stateMutations.take("inv_1abc"))).toBeUndefined();
      expect((await write(store, () => store.stateMutations.take(m2!)))?.expectedVersion).toBeNull();
    });
  });
}
