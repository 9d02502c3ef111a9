import { beforeEach, describe, expect, it } from "vitest";
import type { PartitionStore } from "../../../partition/index.js";
import { bytes, entry, FENCE, invocation, newId, newRow, P0, T0, text, write, type OpenStore } from "./contract-helpers.js";
import { invocationTableContract } from "./invocation-table-contract.js";
import { keyedTablesContract } from "./keyed-tables-contract.js";

export type { OpenStore } from "./contract-helpers.js";

/**
 * What every implementation of the partition storage seam (partition/storage/) must do, table by table
 * and batch by batch. partition-store-contract.test.ts runs it over each implementation; a new one (the
 * PostgreSQL mirror of issue 15) is added there.
 */
export function partitionStoreContract(open: OpenStore): void {
  describe("invocations", () => invocationTableContract(open));
  describe("tables", () => keyedTablesContract(open));
  describe("batches", () => batchContract(open));
  describe("upkeep and faults", () => upkeepContract(open));
}

function batchContract(open: OpenStore): void {
  let store: PartitionStore;
  beforeEach(() => {
    store = open();
  });

  it("lets a command read its own writes, and each command those of the commands before it", async () => {
    const id = newId();
    const batch = store.begin();
    const seen = batch.command(FENCE, () => {
      store.invocations.insert(newRow({ id }));
      store.invocations.append(id, 0, [entry(1)], T0);
      store.state.set("O", "k", bytes("a"), bytes("1"));
      return [store.invocations.get(id)?.journalLength, text(store.state.get("O", "k", bytes("a")))];
    });
    const next = batch.command(FENCE, () => [store.invocations.readJournal(id).length, store.state.keys("O", "k").length]);
    await batch.commit();
    expect(seen).toEqual([1, "1"]);
    expect(next).toEqual([1, 1]);
    expect(store.invocations.get(id)?.journalLength).toBe(1);
  });

  it("undoes every write of a command that throws, in every table, and keeps the batch's other commands", async () => {
    const live = await invocation(store, { retentionMs: 10 });
    const [a, b, c, stranger] = [newId(), newId(), newId(), newId()];
    const seqs = await write(store, () => {
      store.invocations.append(live, 0, [entry(1)], T0);
      store.state.set("O", "k", bytes("s"), bytes("before"));
      store.locks.enqueue("O", "k", a);
      store.locks.enqueue("O", "k", b);
      store.timers.add(P0, T0 + 1, a, "sleep", 1);
      store.timers.add(P0, T0 + 2, b, "sleep", 2);
      store.waiters.add("outcome", "t", { waiterId: a, completionId: 1, notificationType: 1 });
      store.waiters.add("outcome", "t", { waiterId: b, completionId: 2, notificationType: 1 });
      store.promises.put("W", "w", "p", { kind: "value", value: bytes("v") });
      store.idempotency.put("S", "", "h", "k", live);
      const marker = store.stateMutations.add({ service: "O", key: "k", expectedVersion: null, entries: [] });
      return { outbox: [store.outbox.add(P0, 1, "m1"), store.outbox.add(P0, 1, "m2")], marker };
    });
    const before = snapshot(store, live);

    const batch = store.begin();
    batch.command(FENCE, () => store.state.set("O", "k", bytes("kept"), bytes("1")));
    const failing = new Error("the command fails");
    expect(() =>
      batch.command(FENCE, () => {
        store.invocations.insert(newRow({ id: c }));
        store.invocations.append(c, 0, [entry(7)], T0);
        store.invocations.append(live, 1, [entry(2)], T0 + 5);
        store.invocations.setStatus(live, "suspended", T0 + 5);
        store.invocations.complete(live, { kind: "value", value: bytes("x") }, T0 + 5);
        store.state.set("O", "k", bytes("s"), bytes("after"));
        store.state.clearAll("O", "k");
        store.locks.take("O", "k", stranger);
        store.locks.dequeue("O", "k");
        store.locks.enqueue("O", "k", stranger);
        store.timers.delete(store.timers.due(P0, T0 + 1, 1)[0]!.seq);
        store.timers.add(P0, T0, stranger, "sleep", 9);
        store.outbox.take(seqs.outbox[0]!);
        store.outbox.add(P0, 1, "m3");
        store.waiters.take("outcome", "t");
        store.promises.clearAll("W", "w");
        store.idempotency.deleteFor(live);
        store.idempotency.putWorkflowRun("W", "w", stranger);
        store.stateMutations.take(seqs.marker);
        throw failing;
      }),
    ).toThrow(failing);
    batch.command(FENCE, () => store.state.set("O", "k", bytes("also kept"), bytes("2")));
    await batch.commit();

    store.invocations.invalidate();
    expect(snapshot(store, live)).toEqual({ ...before, stateKeys: ["also kept", "kept", "s"] });
    expect(store.invocations.get(c)).toBeUndefined();
    expect(store.idempotency.workflowRun("W", "w")).toBeUndefined();
    expect(await write(store, () => store.stateMutations.take(seqs.marker))).toBeDefined();
    expect(await write(store, () => [1, 2, 3].map(() => store.locks.dequeue("O", "k")))).toEqual([a, b, undefined]);
    expect((await write(store, () => store.waiters.take("outcome", "t"))).map((w) => w.waiterId)).toEqual([a, b]);
  });

  it("hands out a rolled-back command's sequence numbers again", async () => {
    const first = await write(store, () => store.outbox.add(P0, 1, "m1"));
    const batch = store.begin();
    const undone = (() => {
      let seq = 0;
      expect(() =>
        batch.command(FENCE, () => {
          seq = store.outbox.add(P0, 1, "undone");
          throw new Error("undo");
        }),
      ).toThrow("undo");
      return seq;
    })();
    const next = batch.command(FENCE, () => store.outbox.add(P0, 1, "m2"));
    await batch.commit();
    expect([undone, next]).toEqual([first + 1, first + 1]);
    expect(store.outbox.pending(P0).map((r) => r.message)).toEqual(["m1", "m2"]);
  });

  it("commits one batch after another", async () => {
    for (let i = 0; i < 3; i++) {
      const batch = store.begin();
      batch.command(FENCE, () => store.state.set("O", "k", bytes(`k${i}`), bytes(`${i}`)));
      batch.command(null, () => store.state.set("O", "k", bytes(`n${i}`), bytes(`${i}`)));
      await batch.commit();
    }
    expect(store.state.keys("O", "k").map((k) => text(k))).toEqual(["k0", "k1", "k2", "n0", "n1", "n2"]);
  });
}

function upkeepContract(open: OpenStore): void {
  let store: PartitionStore;
  beforeEach(() => {
    store = open();
  });

  it("grows with what it holds, and gives the room back once it is deleted and compacted", async () => {
    const empty = store.sizeBytes();
    const id = await invocation(store);
    await write(store, () => store.invocations.append(id, 0, [entry(1, 1 << 20)], T0));
    const full = store.sizeBytes();
    expect(full - empty).toBeGreaterThanOrEqual(1 << 20);
    await write(store, () => store.invocations.delete(id));
    store.compact();
    expect(store.sizeBytes()).toBeLessThan(full - (1 << 19));
    expect(store.verify()).toEqual([]);
  });

  it("refuses a command that adds rows while the disk is full, undoes it whole, and takes it once there is room", async () => {
    const id = await invocation(store);
    const command = () => {
      store.state.set("O", "k", bytes("s"), bytes("1"));
      store.invocations.append(id, 0, [entry(1, 256 << 10)], T0);
    };
    const free = store.faults.fillDisk();
    // Any error: SQLite rolls its whole transaction back on SQLITE_FULL, and the savepoint's undo then fails.
    await expect(write(store, command)).rejects.toThrow();
    expect([store.state.get("O", "k", bytes("s")), store.invocations.readJournal(id)]).toEqual([undefined, []]);
    free();
    await write(store, command);
    expect(store.invocations.readJournal(id)).toHaveLength(1);
    expect(store.verify()).toEqual([]);
  });

  it("fails journal writes alone while they are made to fail, and takes them again after", async () => {
    const id = await invocation(store);
    const heal = store.faults.failJournalWrites();
    await expect(write(store, () => store.invocations.append(id, 0, [entry(1)], T0))).rejects.toThrow(/I\/O/);
    await write(store, () => store.state.set("O", "k", bytes("s"), bytes("1")));
    heal();
    await write(store, () => store.invocations.append(id, 0, [entry(1)], T0));
    expect(store.invocations.readJournal(id)).toEqual([entry(1)]);
    expect(text(store.state.get("O", "k", bytes("s")))).toBe("1");
  });
}

/**
 * What the store holds that the throwing command above touches, as the tables read it (inboxes and
 * waiters are read by taking them: the test does that last).
 */
function snapshot(store: PartitionStore, live: ReturnType<typeof newId>) {
  const record = store.invocations.get(live);
  return {
    invocation: [record?.status, record?.journalLength, record?.modifiedAt, record?.outcome, record?.expiresAt],
    journal: store.invocations.readJournal(live),
    unfinished: store.invocations.listUnfinished(P0).map((r) => r.id),
    expired: store.invocations.listExpired(P0, T0 + 1_000, 10),
    stateKeys: store.state.keys("O", "k").map((k) => text(k)),
    state: text(store.state.get("O", "k", bytes("s"))),
    holder: store.locks.holder("O", "k"),
    timers: store.timers.due(P0, T0 + 10, 10),
    timerCount: store.timers.count(),
    outbox: store.outbox.pending(P0),
    promise: store.promises.get("W", "w", "p"),
    idempotency: store.idempotency.get("S", "", "h", "k"),
  };
}
