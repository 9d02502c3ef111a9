import { describe, expect, it } from "vitest";
import type { LeaderEpoch } from "../../../partition/index.js";
import type { NewInvocationRow } from "../../../partition/storage/invocation-table.js";
import { MemoryPartitionStore, type Columns, type WriteSet } from "../../../partition/storage/memory/index.js";
import { stateMutationMarker } from "../../../partition/storage/state-mutation-table.js";
import type { InvocationId } from "../../../protocol/index.js";
import { bytes, entry, FENCE, newId, newRow, P0, P1, T0 } from "./contract-helpers.js";

// The memory store's write set: what one batch hands to its sink, exactly.

/** Rows out of column arrays: `[{ a: a[0], b: b[0] }, …]`. */
function rowsOf(columns: Columns<object>): Array<Record<string, unknown>> {
  const entries = Object.entries(columns as Record<string, unknown[]>);
  return (entries[0]?.[1] ?? []).map((_, i) => Object.fromEntries(entries.map(([name, values]) => [name, values[i]])));
}

/** The write set as rows, leaving out the tables it does not change. */
function view(changes: WriteSet): Record<string, unknown> {
  const { fences, sequences, ...tables } = changes;
  const changed = Object.entries(tables)
    .map(([name, t]) => [name, { upserts: rowsOf(t.upserts), deletes: rowsOf(t.deletes) }] as const)
    .filter(([, t]) => t.upserts.length + t.deletes.length > 0);
  return { fences: rowsOf(fences), sequences, ...Object.fromEntries(changed) };
}

const none = { upserts: [], deletes: [] };

function capturingStore(): { store: MemoryPartitionStore; sent: WriteSet[] } {
  const sent: WriteSet[] = [];
  return { store: new MemoryPartitionStore({ persist: async (changes) => void sent.push(changes) }), sent };
}

/** One row in every table, about invocation `x` (and `y`, waiting behind it). */
function oneRowEach(store: MemoryPartitionStore, x: InvocationId, y: InvocationId, caller: NewInvocationRow["caller"] = null): void {
  store.invocations.insert(newRow({ id: x, caller, retentionMs: 100, idempotencyKey: "ik" }));
  store.invocations.append(x, 0, [entry(1)], T0 + 1);
  store.state.set("O", "k", bytes("a"), bytes("1"));
  store.locks.take("O", "k", x);
  store.locks.enqueue("O", "k", y);
  store.timers.add(P0, T0 + 50, x, "sleep", 3);
  store.outbox.add(P0, 1, "m");
  store.idempotency.put("S", "", "h", "ik", x);
  store.idempotency.putWorkflowRun("W", "w", x);
  store.promises.put("W", "w", "p", { kind: "failure", code: 400, message: "no" });
  store.waiters.add("outcome", x, { waiterId: y, completionId: 1, notificationType: 5 });
  store.stateMutations.add({ service: "O", key: "k", expectedVersion: "v", entries: [[bytes("s"), bytes("t")]] });
}

describe("the memory store's write set", () => {
  it("holds the final image of every row a batch added or changed, and nothing of a command that threw", async () => {
    const { store, sent } = capturingStore();
    const [x, y] = [newId(), newId()];
    const caller = { id: newId(), completionId: 2 };
    const batch = store.begin();
    batch.command(FENCE, () => {
      oneRowEach(store, x, y, caller);
      store.invocations.append(x, 1, [entry(2)], T0 + 1);
      store.invocations.suspend(x, { completions: [1], signals: [], names: [] }, T0 + 2);
      store.state.set("O", "k", bytes("a"), bytes("2"));
    });
    const undone = () => {
      store.state.set("O", "k", bytes("z"), bytes("no"));
      store.outbox.add(P0, 1, "no");
      throw new Error("undone");
    };
    expect(() => batch.command({ partition: P1, leaderEpoch: 9 as LeaderEpoch }, undone)).toThrow("undone");
    batch.command({ partition: P1, leaderEpoch: 4 as LeaderEpoch }, () => store.state.set("O", "j", bytes("b"), bytes("3")));
    batch.command(null, () => undefined);
    await batch.commit();

    expect(sent).toHaveLength(1);
    expect(view(sent[0]!)).toEqual({
      fences: [
        { partition: P0, leaderEpoch: 3 },
        { partition: P1, leaderEpoch: 4 },
      ],
      sequences: { invocation: 2, inbox: 2, timer: 2, outbox: 2, waiter: 2, stateMutation: 2 },
      invocations: {
        upserts: [
          {
            seq: 1,
            id: x,
            partition: P0,
            service: "S",
            handler: "h",
            objectKey: "",
            serviceType: "SERVICE",
            handlerType: null,
            status: "suspended",
            idempotencyKey: "ik",
            callerId: caller.id,
            callerCompletionId: 2,
            executionTime: null,
            retentionMs: 100,
            expiresAt: null,
            awaiting: '{"completions":[1],"signals":[],"names":[]}',
            holdsLock: false,
            createdAt: T0,
            modifiedAt: T0 + 2,
            retryCount: 0,
            lastFailure: null,
            pinnedDeploymentId: null,
            pinnedProtocolVersion: null,
            journalLength: 2,
            completedAt: null,
            outputKind: null,
            output: null,
            failureCode: null,
            failureMessage: null,
          },
        ],
        deletes: [],
      },
      journal: {
        upserts: [
          { invocationSeq: 1, idx: 0, ...entry(1) },
          { invocationSeq: 1, idx: 1, ...entry(2) },
        ],
        deletes: [],
      },
      state: {
        upserts: [
          { service: "O", objectKey: "k", stateKey: bytes("a"), value: bytes("2") },
          { service: "O", objectKey: "j", stateKey: bytes("b"), value: bytes("3") },
        ],
        deletes: [],
      },
      locks: { upserts: [{ service: "O", objectKey: "k", invocationId: x }], deletes: [] },
      inbox: { upserts: [{ seq: 1, service: "O", objectKey: "k", invocationId: y }], deletes: [] },
      timers: { upserts: [{ seq: 1, partition: P0, fireAt: T0 + 50, invocationId: x, kind: "sleep", completionId: 3 }], deletes: [] },
      outbox: { upserts: [{ seq: 1, sourcePartition: P0, targetPartition: 1, message: "m" }], deletes: [] },
      idempotency: { upserts: [{ service: "S", objectKey: "", handler: "h", idempotencyKey: "ik", invocationId: x }], deletes: [] },
      workflows: { upserts: [{ service: "W", objectKey: "w", invocationId: x }], deletes: [] },
      promises: {
        upserts: [{ service: "W", objectKey: "w", name: "p", kind: "failure", value: null, failureCode: 400, failureMessage: "no" }],
        deletes: [],
      },
      waiters: { upserts: [{ seq: 1, kind: "outcome", target: x, waiterId: y, completionId: 1, notificationType: 5 }], deletes: [] },
      stateMutations: {
        upserts: [{ seq: 1, service: "O", objectKey: "k", expectedVersion: "v", stateKeys: [bytes("s")], stateValues: [bytes("t")] }],
        deletes: [],
      },
    });
    // Every column is there, also in a table the batch left alone.
    expect(Object.keys(sent[0]!.inbox.deletes)).toEqual(["seq"]);
    expect(Object.keys(sent[0]!.promises.deletes)).toEqual(["service", "objectKey", "name"]);
  });

  it("holds the keys of the rows a batch deleted, and nothing of a row it added and deleted again", async () => {
    const { store, sent } = capturingStore();
    const [x, y, z] = [newId(), newId(), newId()];
    const seed = store.begin();
    seed.command(FENCE, () => {
      oneRowEach(store, x, y);
      store.state.set("O", "untouched", bytes("c"), bytes("1"));
    });
    await seed.commit();

    const batch = store.begin();
    expect(() =>
      batch.command(FENCE, () => {
        store.state.set("O", "untouched", bytes("c"), bytes("changed"));
        store.invocations.setStatus(x, "paused", T0 + 5);
        throw new Error("undone");
      }),
    ).toThrow("undone");
    batch.command(FENCE, () => {
      store.invocations.append(x, 1, [entry(2)], T0 + 9);
      store.invocations.complete(x, { kind: "value", value: bytes("out") }, T0 + 10);
      store.state.clear("O", "k", bytes("a"));
      store.state.set("O", "k", bytes("tmp"), bytes("1"));
      store.state.clear("O", "k", bytes("tmp"));
      store.locks.release("O", "k", x);
      store.locks.dequeue("O", "k");
      store.timers.deleteFor(x);
      store.outbox.take(1);
      store.idempotency.deleteFor(x);
      store.promises.clearAll("W", "w");
      store.waiters.take("outcome", x);
      store.stateMutations.take(stateMutationMarker(1));
      store.invocations.insert(newRow({ id: z }));
      store.invocations.append(z, 0, [entry(3)], T0);
      store.invocations.delete(z);
    });
    await batch.commit();
    const completed = view(sent[1]!)["invocations"] as { upserts: Array<Record<string, unknown>> };
    expect(completed.upserts).toMatchObject([
      { id: x, status: "completed", journalLength: 2, completedAt: T0 + 10, modifiedAt: T0 + 10, expiresAt: T0 + 110, outputKind: "value", output: bytes("out") },
    ]);
    expect({ ...view(sent[1]!), invocations: "checked above" }).toEqual({
      fences: [{ partition: P0, leaderEpoch: 3 }],
      sequences: { invocation: 3, inbox: 2, timer: 2, outbox: 2, waiter: 2, stateMutation: 2 },
      invocations: "checked above",
      journal: { upserts: [{ invocationSeq: 1, idx: 1, ...entry(2) }], deletes: [] },
      state: { upserts: [], deletes: [{ service: "O", objectKey: "k", stateKey: bytes("a") }] },
      locks: { upserts: [], deletes: [{ service: "O", objectKey: "k" }] },
      inbox: { upserts: [], deletes: [{ seq: 1 }] },
      timers: { upserts: [], deletes: [{ seq: 1 }] },
      outbox: { upserts: [], deletes: [{ seq: 1 }] },
      idempotency: { upserts: [], deletes: [{ service: "S", objectKey: "", handler: "h", idempotencyKey: "ik" }] },
      workflows: { upserts: [], deletes: [{ service: "W", objectKey: "w" }] },
      promises: { upserts: [], deletes: [{ service: "W", objectKey: "w", name: "p" }] },
      waiters: { upserts: [], deletes: [{ seq: 1 }] },
      stateMutations: { upserts: [], deletes: [{ seq: 1 }] },
    });

    const last = store.begin();
    last.command(FENCE, () => store.invocations.delete(x));
    await last.commit();
    expect(view(sent[2]!)).toEqual({
      fences: [{ partition: P0, leaderEpoch: 3 }],
      sequences: { invocation: 3, inbox: 2, timer: 2, outbox: 2, waiter: 2, stateMutation: 2 },
      invocations: { upserts: [], deletes: [{ id: x }] },
      journal: { upserts: [], deletes: [{ invocationSeq: 1 }] },
    });
  });

  it("carries writes made outside a batch with the next batch, and starts from the sequences it was given", async () => {
    const sent: WriteSet[] = [];
    const store = new MemoryPartitionStore({ persist: async (c) => void sent.push(c), sequences: { invocation: 100, outbox: 42, timer: 7 } });
    const x = newId();
    store.invocations.insert(newRow({ id: x }));
    expect(store.outbox.add(P0, 1, "m")).toBe(42);
    const batch = store.begin();
    batch.command(FENCE, () => store.timers.add(P0, T0, x, "sleep", 1));
    await batch.commit();
    expect(store.timers.due(P0, T0, 1)[0]?.seq).toBe(7);
    const changes = view(sent[0]!);
    expect(changes["sequences"]).toEqual({ invocation: 101, inbox: 1, timer: 8, outbox: 43, waiter: 1, stateMutation: 1 });
    expect(Object.keys(changes)).toEqual(["fences", "sequences", "invocations", "timers", "outbox"]);
    expect((changes["invocations"] as typeof none).upserts).toMatchObject([{ seq: 100, id: x }]);
    expect(view(store.pendingWriteSet())).toEqual({ fences: [], sequences: sent[0]!.sequences });
  });
});
