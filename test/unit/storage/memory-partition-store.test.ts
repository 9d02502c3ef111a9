import { describe, expect, it } from "vitest";
import type { PartitionStore } from "../../../partition/index.js";
import { MEMORY_STORE_ERROR_CODES, MemoryPartitionStore, PersistFailedError } from "../../../partition/storage/memory/index.js";
import type { StetError } from "../../../protocol/errors.js";
import { bytes, entry, FENCE, newId, newRow, P0, T0, text, write } from "./contract-helpers.js";

// What the memory store does beyond the contract every store keeps: its sink, its guards, its faults.

/** The code of what `fn` throws. */
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as StetError).code;
  }
  return undefined;
}

/** The code of the error `promise` rejects with. */
function failureCode(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error as StetError).code,
  );
}

/** Everything a seeded store holds, as the tables read it. */
function readAll(store: PartitionStore, id: ReturnType<typeof newId>) {
  return {
    invocation: store.invocations.get(id),
    journal: store.invocations.readJournal(id),
    unfinished: store.invocations.listUnfinished(P0).map((r) => r.id),
    state: store.state.all("O", "k").map(([k, v]) => [text(k), text(v)]),
    holder: store.locks.holder("O", "k"),
    timers: store.timers.due(P0, T0 + 100, 10),
    outbox: store.outbox.pending(P0),
    idempotency: store.idempotency.get("S", "", "h", "ik"),
    promise: store.promises.get("W", "w", "p"),
    size: store.sizeBytes(),
  };
}

/** An invocation with a journal entry, state, a lock, an inbox entry, a timer and a message, committed. */
async function seeded(store: MemoryPartitionStore) {
  const [id, waiting] = [newId(), newId()];
  await write(store, () => {
    store.invocations.insert(newRow({ id }));
    store.invocations.append(id, 0, [entry(1)], T0);
    store.state.set("O", "k", bytes("a"), bytes("1"));
    store.locks.take("O", "k", id);
    store.locks.enqueue("O", "k", waiting);
    store.timers.add(P0, T0 + 10, id, "sleep", 1);
    store.outbox.add(P0, 1, "m1");
  });
  return { id, waiting };
}

describe("the memory partition store", () => {
  it("goes back to its last commit when the sink refuses a batch, and commits the next one from there", async () => {
    let refuse = false;
    const refusal = new Error("the database is down");
    const store = new MemoryPartitionStore({ persist: () => (refuse ? Promise.reject(refusal) : Promise.resolve()) });
    const { id, waiting } = await seeded(store);
    const before = readAll(store, id);
    const sequences = store.pendingWriteSet().sequences;

    refuse = true;
    store.state.set("O", "k", bytes("outside"), bytes("a batch"));
    const batch = store.begin();
    batch.command(FENCE, () => {
      store.invocations.append(id, 1, [entry(2, 4096)], T0 + 1);
      store.invocations.complete(id, { kind: "value", value: bytes("out") }, T0 + 1);
      store.invocations.insert(newRow());
      store.state.clearAll("O", "k");
      store.locks.release("O", "k", id);
      store.locks.take("O", "k", store.locks.dequeue("O", "k")!);
      store.timers.deleteFor(id);
      store.outbox.take(1);
      store.outbox.add(P0, 1, "m2");
      store.idempotency.put("S", "", "h", "ik", id);
      store.promises.put("W", "w", "p", { kind: "value", value: bytes("v") });
    });
    const failed: unknown = await batch.commit().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(PersistFailedError);
    expect((failed as PersistFailedError).code).toBe(MEMORY_STORE_ERROR_CODES.persistFailed);
    expect((failed as PersistFailedError).cause).toBe(refusal);
    expect((failed as PersistFailedError).message).toMatch(/the database is down/);
    expect(readAll(store, id)).toEqual(before);
    expect(store.pendingWriteSet().sequences).toEqual(sequences);
    expect(store.pendingWriteSet().state.upserts.service).toEqual([]);
    expect(store.verify()).toEqual([]);

    refuse = false;
    expect(await write(store, () => store.outbox.add(P0, 1, "m2"))).toBe(2);
    expect(await write(store, () => store.locks.dequeue("O", "k"))).toBe(waiting);
    expect(store.verify()).toEqual([]);
  });

  it("takes a sink that throws instead of rejecting as a refusal", async () => {
    const store = new MemoryPartitionStore({
      persist: () => {
        throw new Error("not even a promise");
      },
    });
    await expect(write(store, () => store.state.set("O", "k", bytes("a"), bytes("1")))).rejects.toBeInstanceOf(PersistFailedError);
    expect(store.state.get("O", "k", bytes("a"))).toBeUndefined();
  });

  it("refuses writes and new batches while a commit is in flight, and answers reads", async () => {
    let persisted: (() => void) | undefined;
    const store = new MemoryPartitionStore({
      persist: () => (persisted === undefined ? new Promise<void>((resolve) => (persisted = resolve)) : Promise.resolve()),
    });
    const batch = store.begin();
    batch.command(FENCE, () => store.state.set("O", "k", bytes("a"), bytes("1")));
    const committing = batch.commit();
    expect(codeOf(() => store.state.set("O", "k", bytes("b"), bytes("2")))).toBe(MEMORY_STORE_ERROR_CODES.busy);
    expect(codeOf(() => store.outbox.add(P0, 1, "m"))).toBe(MEMORY_STORE_ERROR_CODES.busy);
    expect(codeOf(() => store.begin())).toBe(MEMORY_STORE_ERROR_CODES.busy);
    expect(text(store.state.get("O", "k", bytes("a")))).toBe("1");
    persisted!();
    await committing;
    expect(await write(store, () => store.outbox.add(P0, 1, "m"))).toBe(1);
    expect(store.pendingWriteSet().state.upserts.service).toEqual([]);
  });

  it("keeps one batch open at a time, and refuses a batch used after its commit", async () => {
    const store = new MemoryPartitionStore();
    const batch = store.begin();
    expect(codeOf(() => store.begin())).toBe(MEMORY_STORE_ERROR_CODES.batchMisuse);
    await batch.commit();
    expect(codeOf(() => batch.command(FENCE, () => undefined))).toBe(MEMORY_STORE_ERROR_CODES.batchMisuse);
    await expect(batch.commit()).rejects.toMatchObject({ code: MEMORY_STORE_ERROR_CODES.batchMisuse });
    await store.begin().commit();
  });

  it("refuses new rows while the disk is full, and takes changes and deletes of rows it has", async () => {
    const store = new MemoryPartitionStore();
    const { id } = await seeded(store);
    const free = store.faults.fillDisk();
    for (const add of [
      () => store.state.set("O", "k", bytes("new"), bytes("1")),
      () => store.invocations.insert(newRow()),
      () => store.invocations.append(id, 1, [entry(2)], T0),
      () => store.timers.add(P0, T0, id, "sleep", 2),
      () => store.waiters.add("outcome", "t", { waiterId: id, completionId: 1, notificationType: 1 }),
    ]) {
      expect(await failureCode(write(store, add))).toBe(MEMORY_STORE_ERROR_CODES.full);
    }
    await write(store, () => {
      store.state.set("O", "k", bytes("a"), bytes("changed"));
      store.invocations.setStatus(id, "paused", T0);
      store.outbox.take(1);
    });
    expect([text(store.state.get("O", "k", bytes("a"))), store.outbox.pending(P0)]).toEqual(["changed", []]);
    free();
    await write(store, () => store.state.set("O", "k", bytes("new"), bytes("1")));
    expect(store.verify()).toEqual([]);
  });

  it("fails journal writes with an I/O error while told to, and nothing else", async () => {
    const store = new MemoryPartitionStore();
    const { id } = await seeded(store);
    const heal = store.faults.failJournalWrites();
    expect(await failureCode(write(store, () => store.invocations.append(id, 1, [entry(2)], T0)))).toBe(MEMORY_STORE_ERROR_CODES.io);
    await write(store, () => store.invocations.insert(newRow()));
    heal();
    expect(await write(store, () => store.invocations.append(id, 1, [entry(2)], T0))).toBe(2);
  });

  it("estimates its size from what it holds, and its indexes agree with its rows after a mixed workload", async () => {
    const store = new MemoryPartitionStore();
    const empty = store.sizeBytes();
    const ids: Array<ReturnType<typeof newId>> = [];
    for (let i = 0; i < 2000; i++) {
      const id = newId();
      ids.push(id);
      await write(store, () => {
        store.invocations.insert(newRow({ id, now: T0 + (i % 17), caller: i % 3 === 0 ? { id: ids[0]!, completionId: i } : null }));
        store.invocations.append(id, 0, [entry(i % 250, 100)], T0);
        store.timers.add(P0, T0 + (i % 13), id, "sleep", i);
        store.locks.enqueue("O", `k${i % 5}`, id);
      });
    }
    expect(store.sizeBytes() - empty).toBeGreaterThan(2000 * 100);
    for (let i = 0; i < 2000; i += 2) {
      await write(store, () => {
        store.invocations.complete(ids[i]!, { kind: "value", value: bytes("") }, T0);
        store.timers.deleteFor(ids[i]!);
        store.locks.removeFromInbox(ids[i]!);
        if (i % 4 === 0) store.invocations.delete(ids[i]!);
      });
    }
    expect(store.verify()).toEqual([]);
    expect(store.timers.count()).toBe(1000);
    expect(store.invocations.listUnfinished(P0)).toHaveLength(1000);
  });
});
