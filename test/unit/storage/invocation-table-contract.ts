import { beforeEach, describe, expect, it } from "vitest";
import type { InvocationRecord, PartitionStore } from "../../../partition/index.js";
import type { InvocationId } from "../../../protocol/index.js";
import { bytes, entry, invocation, newId, newRow, P0, P1, T0, write, type OpenStore } from "./contract-helpers.js";

/** The invocation table's contract: rows, journals, and the lists the partition reads at takeover and expiry. */
export function invocationTableContract(open: OpenStore): void {
  let store: PartitionStore;
  beforeEach(() => {
    store = open();
  });
  /** The row as stored: what the table keeps in memory is forgotten first (SQLite reads its file then). */
  const stored = (id: string): InvocationRecord | undefined => {
    store.invocations.invalidate();
    return store.invocations.get(id);
  };

  describe("rows", () => {
    it("stores a new invocation with what a fresh one has, and reads it back the same from storage", async () => {
      const caller = { id: newId(), completionId: 4 };
      const row = newRow({ caller, executionTime: T0 + 5, retentionMs: 60_000, idempotencyKey: "k", handlerType: "EXCLUSIVE" });
      await write(store, () => store.invocations.insert({ ...row, target: { service: "O", handler: "run", key: "a" }, serviceType: "VIRTUAL_OBJECT" }));
      const expected: InvocationRecord = {
        id: row.id,
        partition: P0,
        target: { service: "O", handler: "run", key: "a" },
        serviceType: "VIRTUAL_OBJECT",
        handlerType: "EXCLUSIVE",
        holdsLock: false,
        caller,
        executionTime: T0 + 5,
        retentionMs: 60_000,
        expiresAt: null,
        awaiting: null,
        status: "invoked",
        idempotencyKey: "k",
        createdAt: T0,
        modifiedAt: T0,
        retryCount: 0,
        lastFailure: null,
        pinned: null,
        journalLength: 0,
        completedAt: null,
        outcome: null,
      };
      expect(store.invocations.get(row.id)).toEqual(expected);
      expect(stored(row.id)).toEqual(expected);
      expect(store.invocations.get(newId())).toBeUndefined();
    });

    it("refuses a second invocation with the same id and keeps the first", async () => {
      const row = newRow();
      await write(store, () => store.invocations.insert(row));
      await expect(write(store, () => store.invocations.insert({ ...row, status: "paused" }))).rejects.toThrow();
      expect(stored(row.id)?.status).toBe("invoked");
    });

    it("records status, suspension, lock, pin and failures, each with its own rule for the modification time", async () => {
      const id = await invocation(store);
      const awaiting = { completions: [1, 2], signals: [3], names: ["n"] };
      await write(store, () => store.invocations.suspend(id, awaiting, T0 + 1));
      expect(stored(id)).toMatchObject({ status: "suspended", awaiting, modifiedAt: T0 + 1 });
      await write(store, () => store.invocations.setHoldsLock(id, true, T0 + 2));
      await write(store, () => store.invocations.pin(id, { deploymentId: "dp_1", protocolVersion: 6 }));
      expect(stored(id)).toMatchObject({ holdsLock: true, pinned: { deploymentId: "dp_1", protocolVersion: 6 }, modifiedAt: T0 + 2 });
      await write(store, () => store.invocations.recordFailure(id, "boom", "backing-off", T0 + 3));
      await write(store, () => store.invocations.recordFailure(id, "bang", "paused", T0 + 4));
      expect(stored(id)).toMatchObject({ status: "paused", retryCount: 2, lastFailure: "bang", modifiedAt: T0 + 4 });
      await write(store, () => store.invocations.setStatus(id, "invoked", T0 + 5));
      expect(stored(id)).toMatchObject({ status: "invoked", modifiedAt: T0 + 5, awaiting, holdsLock: true });
    });

    it("changes nothing when an update names an unknown invocation", async () => {
      const id = newId();
      await write(store, () => {
        store.invocations.setStatus(id, "paused", T0);
        store.invocations.suspend(id, null, T0);
        store.invocations.setHoldsLock(id, true, T0);
        store.invocations.pin(id, { deploymentId: "dp_1", protocolVersion: 6 });
        store.invocations.recordFailure(id, "boom", "backing-off", T0);
        store.invocations.complete(id, { kind: "value", value: bytes("x") }, T0);
        store.invocations.delete(id);
      });
      expect(stored(id)).toBeUndefined();
      expect(store.invocations.listUnfinished(P0)).toEqual([]);
      expect(store.invocations.listExpired(P0, Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    });

    it("completes with an output or a failure, drops the lock, and expires after the retention (never without one)", async () => {
      const kept = await invocation(store, { retentionMs: 1_000 });
      const forever = await invocation(store);
      await write(store, () => {
        store.invocations.setHoldsLock(kept, true, T0);
        store.invocations.complete(kept, { kind: "value", value: bytes("out") }, T0 + 10);
        store.invocations.complete(forever, { kind: "failure", code: 409, message: "no" }, T0 + 20);
      });
      expect(stored(kept)).toMatchObject({
        status: "completed",
        completedAt: T0 + 10,
        modifiedAt: T0 + 10,
        holdsLock: false,
        expiresAt: T0 + 1_010,
        outcome: { kind: "value", value: bytes("out") },
      });
      expect(stored(forever)).toMatchObject({ status: "completed", expiresAt: null, outcome: { kind: "failure", code: 409, message: "no" } });
    });

    it("deletes an invocation with its journal, and only it", async () => {
      const gone = await invocation(store);
      const kept = await invocation(store);
      await write(store, () => {
        store.invocations.append(gone, 0, [entry(1)], T0);
        store.invocations.append(kept, 0, [entry(2)], T0);
      });
      await write(store, () => store.invocations.delete(gone));
      expect(stored(gone)).toBeUndefined();
      expect(store.invocations.readJournal(gone)).toEqual([]);
      expect(store.invocations.readJournal(kept)).toEqual([entry(2)]);
      expect(store.invocations.listUnfinished(P0).map((r) => r.id)).toEqual([kept]);
    });
  });

  describe("journals", () => {
    it("appends in order, counts the entries, and reads them whole or from an index", async () => {
      const id = await invocation(store);
      expect(await write(store, () => store.invocations.append(id, 0, [entry(1), entry(2)], T0 + 1))).toBe(2);
      expect(await write(store, () => store.invocations.append(id, 2, [entry(3)], T0 + 2))).toBe(3);
      expect(store.invocations.get(id)).toMatchObject({ journalLength: 3, modifiedAt: T0 + 2 });
      expect(stored(id)?.journalLength).toBe(3);
      expect(store.invocations.readJournal(id)).toEqual([entry(1), entry(2), entry(3)]);
      expect(store.invocations.readJournalFrom(id, 1)).toEqual([entry(2), entry(3)]);
      expect(store.invocations.readJournalFrom(id, 3)).toEqual([]);
      expect(store.invocations.readJournal(newId())).toEqual([]);
    });

    it("refuses an entry at an index that is taken, and one for an unknown invocation", async () => {
      const id = await invocation(store);
      await write(store, () => store.invocations.append(id, 0, [entry(1)], T0));
      await expect(write(store, () => store.invocations.append(id, 0, [entry(9)], T0))).rejects.toThrow();
      await expect(write(store, () => store.invocations.append(newId(), 0, [entry(9)], T0))).rejects.toThrow();
      expect(store.invocations.readJournal(id)).toEqual([entry(1)]);
      expect(stored(id)?.journalLength).toBe(1);
    });

    it("keeps what it was given: changing the caller's buffer afterwards changes nothing stored", async () => {
      const id = await invocation(store);
      const frame = Buffer.from([1, 2, 3]);
      const value = bytes("v");
      await write(store, () => {
        store.invocations.append(id, 0, [{ type: 1, frame }], T0);
        store.state.set("O", "k", bytes("s"), value);
      });
      frame.fill(0);
      value.fill(0);
      expect(store.invocations.readJournal(id)).toEqual([{ type: 1, frame: Buffer.from([1, 2, 3]) }]);
      expect(store.state.get("O", "k", bytes("s"))).toEqual(bytes("v"));
    });
  });

  describe("lists", () => {
    it("lists a partition's unfinished invocations, oldest first and then by id", async () => {
      const at = (now: number, partition = P0) => invocation(store, { now, partition });
      const third = await at(T0 + 3);
      const first = await at(T0 + 1);
      const tiedA = await at(T0 + 2);
      const tiedB = await at(T0 + 2);
      await at(T0, P1);
      const done = await at(T0);
      await write(store, () => store.invocations.complete(done, { kind: "value", value: bytes("") }, T0 + 9));
      const tied = [tiedA, tiedB].sort();
      expect(store.invocations.listUnfinished(P0).map((r) => r.id)).toEqual([first, ...tied, third]);
      expect(store.invocations.listUnfinished(P1)).toHaveLength(1);
    });

    it("lists an invocation's unfinished children in the order they were created", async () => {
      const parent = await invocation(store);
      const children: InvocationId[] = [];
      for (let i = 0; i < 4; i++) children.push(await invocation(store, { caller: { id: parent, completionId: i } }));
      await invocation(store, { caller: { id: newId(), completionId: 1 } });
      await write(store, () => store.invocations.complete(children[1]!, { kind: "value", value: bytes("") }, T0));
      expect(store.invocations.listLiveChildren(parent)).toEqual([children[0], children[2], children[3]]);
      expect(store.invocations.listLiveChildren(children[0]!)).toEqual([]);
    });

    it("lists a partition's completed invocations past their retention, at most `limit`", async () => {
      const completedAt = async (retentionMs: number | null, at: number, partition = P0) => {
        const id = await invocation(store, { retentionMs, partition });
        await write(store, () => store.invocations.complete(id, { kind: "value", value: bytes("") }, at));
        return id;
      };
      const early = await completedAt(100, T0);
      const onTime = await completedAt(100, T0 + 100);
      await completedAt(100, T0 + 101);
      await completedAt(null, T0);
      await completedAt(100, T0, P1);
      await invocation(store, { retentionMs: 100 });
      const expired = store.invocations.listExpired(P0, T0 + 200, 10);
      expect([...expired].sort()).toEqual([early, onTime].sort());
      expect(store.invocations.listExpired(P0, T0 + 200, 1)).toHaveLength(1);
      expect(store.invocations.listExpired(P0, T0 + 99, 10)).toEqual([]);
    });
  });
}
