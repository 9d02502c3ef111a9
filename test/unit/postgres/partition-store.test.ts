import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LeaseLostError } from "../../../partition/lease-errors.js";
import type { LeaderEpoch, LeadershipFence, PartitionId, PartitionStore } from "../../../partition/index.js";
import { PersistFailedError } from "../../../partition/storage/memory/index.js";
import { openPostgresStorage, type PostgresStorage } from "../../../postgres/index.js";
import { newInvocationId, partitionKeyForKey, partitionOf, type InvocationId } from "../../../protocol/index.js";
import { usePostgres } from "../../helpers/postgres.js";
import { bytes, entry, newRow, T0, text } from "../storage/contract-helpers.js";
import { partitionStoreContract } from "../storage/partition-store-contract.js";

const postgres = usePostgres();
const PARTITIONS = 2;
const LONG = 60_000;

const opened: PostgresStorage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

/** One node: its own connections to the test's database, with the whole cluster's schema. */
async function node(): Promise<PostgresStorage> {
  const storage = await openPostgresStorage(postgres.url, { partitions: PARTITIONS, defaultPartitions: PARTITIONS });
  opened.push(storage);
  return storage;
}

/** Takes `partition`'s lease for `holder` and loads it: what the partition set does before leading. */
async function lead(storage: PostgresStorage, partition: number, holder: string): Promise<LeadershipFence> {
  const [lease] = await storage.leases.acquire([partition], holder, LONG);
  expect(lease).toBeDefined();
  await storage.partitions.loadPartition(partition as PartitionId);
  return { partition: partition as PartitionId, leaderEpoch: lease!.epoch as LeaderEpoch };
}

async function write<T>(store: PartitionStore, fence: LeadershipFence, work: () => T): Promise<T> {
  const batch = store.begin();
  const result = batch.command(fence, work);
  await batch.commit();
  return result;
}

async function count(storage: PostgresStorage, table: string): Promise<number> {
  const db = await postgres.connect();
  return Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
}

describe("the PostgreSQL partition store, held to the partition store contract", () => {
  let store: PartitionStore;
  beforeEach(async () => {
    const storage = await node();
    // The contract's FENCE is partition 0 at epoch 3: three acquisitions by one holder.
    for (let i = 0; i < 3; i++) await storage.leases.acquire([0], "contract", LONG);
    for (let p = 0; p < PARTITIONS; p++) await storage.partitions.loadPartition(p as PartitionId);
    store = storage.partitions;
  });
  partitionStoreContract(() => store);
});

/** An object key of `service` whose rows live in `partition`. */
function keyIn(service: string, partition: number): string {
  for (let i = 0; ; i++) if (partitionOf(partitionKeyForKey(service, `k${i}`), PARTITIONS) === partition) return `k${i}`;
}

describe("the PostgreSQL partition store on one node", () => {
  it("loads a partition led again while its drop waits for the open batch only once that drop is done", async () => {
    const a = await node();
    const fence = await lead(a, 0, "a");
    const id = newInvocationId(partitionKeyForKey("O", keyIn("O", 0)));
    await write(a.partitions, fence, () => {
      a.partitions.invocations.insert(newRow({ id, partition: 0 as PartitionId }));
      a.partitions.invocations.append(id, 0, [entry(1), entry(2)], T0 + 1);
    });
    // Stepped down while a batch is open (the drop waits for it), then led again before it settles.
    const batch = a.partitions.begin();
    batch.command(null, () => undefined);
    a.partitions.dropPartition(0 as PartitionId);
    const loading = a.partitions.loadPartition(0 as PartitionId);
    await batch.commit();
    await loading;
    expect(a.partitions.invocations.readJournal(id)).toEqual([entry(1), entry(2)]);
    expect(a.partitions.verify()).toEqual([]);
  });
});

describe("the PostgreSQL partition store across nodes", () => {
  it("hands every table's rows to the node that takes the partition over, whose new rows sort after the old ones", async () => {
    // b opens first: its block of numbers lies below a's, so a takeover must move it to a fresh one.
    const b = await node();
    const a = await node();
    const fenceA = await lead(a, 0, "a");
    const key = keyIn("O", 0);
    const wfKey = keyIn("W", 0);
    const id = newInvocationId(partitionKeyForKey("O", key));
    const [queued, later, waiting] = [1, 2, 3].map(() => newInvocationId(partitionKeyForKey("O", key))) as [InvocationId, InvocationId, InvocationId];
    const elsewhere = newInvocationId(partitionKeyForKey("O", keyIn("O", 1)));
    const seqs = await write(a.partitions, fenceA, () => {
      const s = a.partitions;
      s.invocations.insert(newRow({ id, partition: 0 as PartitionId, retentionMs: 5_000 }));
      s.invocations.append(id, 0, [entry(1), entry(2, 300)], T0 + 1);
      s.invocations.suspend(id, { completions: [1], signals: [], names: [] }, T0 + 2);
      s.state.set("O", key, bytes("a"), bytes("1"));
      s.state.set("O", key, bytes("b"), Buffer.from([0, 255, 7]));
      s.locks.take("O", key, id);
      s.locks.enqueue("O", key, queued);
      const marker = s.stateMutations.add({ service: "O", key, expectedVersion: "v1", entries: [[bytes("x"), bytes("y")]] });
      s.locks.enqueue("O", key, marker as InvocationId);
      s.timers.add(0, T0 + 50, id, "sleep", 3);
      s.timers.add(1, T0 + 50, elsewhere, "sleep", 1);
      // A message belongs to its target's leader (the shared outbox): this one, from 1, goes with 0.
      const outbox = s.outbox.add(1, 0, "to partition 0");
      s.idempotency.put("O", key, "h", "ik", id);
      s.idempotency.putWorkflowRun("W", wfKey, id);
      s.promises.put("W", wfKey, "p", { kind: "failure", code: 409, message: "no" });
      s.waiters.add("outcome", id, { waiterId: waiting, completionId: 4, notificationType: 2 });
      s.waiters.add("promise", `W\u0000${wfKey}\u0000p`, { waiterId: waiting, completionId: 5, notificationType: 3 });
      return { outbox, marker };
    });
    const record = a.partitions.invocations.get(id);

    // Another node takes partition 0 over once a's lease was released; it loads the partition only.
    await a.leases.release({ partition: 0, holder: "a", epoch: fenceA.leaderEpoch, expiresAt: 0 });
    const fenceB = await lead(b, 0, "b");
    expect(fenceB.leaderEpoch).toBe(fenceA.leaderEpoch + 1);
    const s = b.partitions;
    expect(s.invocations.get(id)).toEqual(record);
    expect(s.invocations.readJournal(id)).toEqual([entry(1), entry(2, 300)]);
    expect(s.state.all("O", key).map(([k, v]) => [text(k), [...v]])).toEqual([["a", [...bytes("1")]], ["b", [0, 255, 7]]]);
    expect(s.locks.holder("O", key)).toBe(id);
    expect(s.timers.due(0, T0 + 100, 10).map((t) => [t.invocationId, t.completionId, t.fireAt])).toEqual([[id, 3, T0 + 50]]);
    expect(s.timers.due(1, T0 + 100, 10)).toEqual([]);
    expect(s.outbox.pending(1)).toEqual([{ seq: seqs.outbox, targetPartition: 0, message: "to partition 0" }]);
    expect(s.idempotency.get("O", key, "h", "ik")).toBe(id);
    expect(s.idempotency.workflowRun("W", wfKey)).toBe(id);
    expect(s.promises.get("W", wfKey, "p")).toEqual({ kind: "failure", code: 409, message: "no" });
    expect(s.invocations.get(elsewhere)).toBeUndefined();
    expect(s.verify()).toEqual([]);

    const taken = await write(s, fenceB, () => {
      s.locks.enqueue("O", key, later);
      const outbox = s.outbox.add(1, 0, "newer");
      s.timers.add(0, T0 + 50, later, "sleep", 9);
      return {
        waiters: [...s.waiters.take("outcome", id), ...s.waiters.take("promise", `W\u0000${wfKey}\u0000p`)],
        inbox: [s.locks.dequeue("O", key), s.locks.dequeue("O", key), s.locks.dequeue("O", key)],
        mutation: s.stateMutations.take(seqs.marker),
        outbox,
      };
    });
    expect(taken.waiters).toEqual([
      { waiterId: waiting, completionId: 4, notificationType: 2 },
      { waiterId: waiting, completionId: 5, notificationType: 3 },
    ]);
    // FIFO per key across the takeover: the rows a wrote first, b's after them.
    expect(taken.inbox).toEqual([queued, seqs.marker, later]);
    expect(taken.mutation).toEqual({ service: "O", key, expectedVersion: "v1", entries: [[bytes("x"), bytes("y")]] });
    expect(taken.outbox).toBeGreaterThan(seqs.outbox);
    expect(s.timers.due(0, T0 + 100, 10).map((t) => t.invocationId)).toEqual([id, later]);

    // Dropped, the partition's rows are gone from b's memory, not from the database.
    s.dropPartition(0 as PartitionId);
    expect(s.invocations.get(id)).toBeUndefined();
    expect(s.locks.holder("O", key)).toBeUndefined();
    expect(s.sizeBytes()).toBe(0);
    await b.partitions.loadPartition(0 as PartitionId);
    expect(s.invocations.get(id)).toEqual(record);
    expect(s.outbox.pending(1).map((m) => m.message)).toEqual(["to partition 0", "newer"]);
  });

  it("refuses a batch of a leader whose partition another node took over, and stores nothing of it", async () => {
    const a = await node();
    const fenceA = await lead(a, 1, "a");
    const b = await node();
    await postgres.connect().then((db) => db.query("UPDATE leases SET expires_at = clock_timestamp() - interval '1 ms' WHERE partition_id = 1"));
    await lead(b, 1, "b");

    const row = newRow({ partition: 1 as PartitionId });
    const batch = a.partitions.begin();
    batch.command(fenceA, () => {
      a.partitions.invocations.insert(row);
      a.partitions.state.set("O", "k", bytes("s"), bytes("v"));
    });
    const refused = await batch.commit().then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(LeaseLostError);
    expect((refused as LeaseLostError).partition).toBe(1);
    expect(await count(a, "invocations")).toBe(0);
    expect(await count(a, "state")).toBe(0);
    expect(a.partitions.invocations.get(row.id)).toBeUndefined();
  });

  it("leaves the mirror as the last commit left it when PostgreSQL refuses a batch", async () => {
    const a = await node();
    const fence = await lead(a, 0, "a");
    const s = a.partitions;
    await write(s, fence, () => s.state.set("O", "k", bytes("s"), bytes("kept")));
    const sizeBefore = s.sizeBytes();
    // A real refusal by the database (a constraint), not a stand-in for one.
    await postgres.connect().then((db) => db.query("ALTER TABLE state ADD CONSTRAINT short_values CHECK (length(value) < 10)"));

    const row = newRow({ partition: 0 as PartitionId });
    const batch = s.begin();
    batch.command(fence, () => {
      s.invocations.insert(row);
      s.state.set("O", "k", bytes("s"), bytes("far too long a value"));
      s.timers.add(0, T0, row.id, "sleep", 1);
    });
    await expect(batch.commit()).rejects.toBeInstanceOf(PersistFailedError);
    expect(text(s.state.get("O", "k", bytes("s")))).toBe("kept");
    expect(s.invocations.get(row.id)).toBeUndefined();
    expect(s.timers.due(0, T0, 10)).toEqual([]);
    expect(s.sizeBytes()).toBe(sizeBefore);
    expect(s.verify()).toEqual([]);
    expect(await count(a, "invocations")).toBe(0);

    // The next batch writes what it changes, and only that.
    await write(s, fence, () => s.state.set("O", "k", bytes("t"), bytes("new")));
    const b = await node();
    await b.partitions.loadPartition(partitionOf(partitionKeyForKey("O", "k"), PARTITIONS) as PartitionId);
    expect(b.partitions.state.all("O", "k").map(([k, v]) => [text(k), text(v)])).toEqual([["s", "kept"], ["t", "new"]]);
  });

  it("refuses a node started with another partition count than the cluster's", async () => {
    await node();
    await expect(openPostgresStorage(postgres.url, { partitions: PARTITIONS + 1, defaultPartitions: 8 })).rejects.toMatchObject({
      code: "STET_CLUSTER_PARTITIONS_MISMATCH",
    });
  });
});
