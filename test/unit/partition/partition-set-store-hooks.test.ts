import { afterEach, describe, expect, it } from "vitest";
import type { InvokerPort } from "../../../invoker/index.js";
import { LeaseLostError } from "../../../partition/lease-errors.js";
import { PartitionSet, type HandlerInfo, type PartitionId, type PartitionStore } from "../../../partition/index.js";
import { openSqliteStorage, type SqliteStorage } from "../../../sqlite/index.js";

const PLAIN: HandlerInfo = { serviceType: "SERVICE", handlerType: null, retentionMs: 60_000, maxAttempts: null, onMaxAttempts: "PAUSE" };

const idleInvoker: InvokerPort = {
  registerPartition() {},
  abortPartition() {},
  enqueue() {},
  notify() {},
  abortInvocation() {},
};

/**
 * A real SQLite store seen through what a shared store adds: it records the load and drop calls, and
 * its next commit can be refused the way a shared store refuses a batch after a takeover.
 */
function observedStore(storage: SqliteStorage) {
  const calls: string[] = [];
  let refuseNext: LeaseLostError | undefined;
  const store: PartitionStore = Object.create(storage.partitions, {
    loadPartition: { value: async (p: PartitionId) => void calls.push(`load ${p}`) },
    dropPartition: { value: (p: PartitionId) => void calls.push(`drop ${p}`) },
    begin: {
      value: () => {
        const batch = storage.partitions.begin();
        return {
          command: batch.command.bind(batch),
          commit: async () => {
            await batch.commit();
            const refusal = refuseNext;
            refuseNext = undefined;
            if (refusal !== undefined) throw refusal;
          },
        };
      },
    },
  });
  return { store, calls, refuse: (error: LeaseLostError) => (refuseNext = error) };
}

const open: SqliteStorage[] = [];
afterEach(() => open.splice(0).forEach((s) => s.close()));

async function setup() {
  const storage = openSqliteStorage(":memory:");
  open.push(storage);
  const observed = observedStore(storage);
  const set = new PartitionSet({
    store: observed.store,
    leases: storage.leases,
    partitionCount: 2,
    holder: "node-a",
    leaseTtlMs: 60_000,
    services: { resolve: () => PLAIN },
  });
  await set.start(idleInvoker);
  return { set, ...observed };
}

describe("a partition set over a store shared by nodes", () => {
  it("loads a partition's rows before it leads it, and drops them when it steps down", async () => {
    const { set, calls } = await setup();
    expect(calls).toEqual(["load 0", "load 1"]);
    expect(set.processor(0)?.isLeader).toBe(true);
    await set.stepDown(0, "test");
    expect(calls).toEqual(["load 0", "load 1", "drop 0"]);
    expect(await set.lead(0)).toBe(true);
    expect(calls.at(-1)).toBe("load 0");
    await set.close();
    expect(calls.slice(-2).sort()).toEqual(["drop 0", "drop 1"]);
  });

  it("steps a partition down when the store refuses a batch because another node took it over", async () => {
    const { set, calls, refuse } = await setup();
    const epoch = set.processor(1)!.epoch!;
    refuse(new LeaseLostError(1, epoch, "taken over by node-b"));
    await expect(
      set.invoke({ target: { service: "Svc", handler: "h", key: "" }, handler: PLAIN, body: new Uint8Array(), headers: [] }),
    ).rejects.toMatchObject({ code: "STET_STORAGE_COMMIT_FAILED" });
    expect(set.processor(1)?.isLeader).toBe(false);
    expect(set.processor(0)?.isLeader).toBe(true);
    expect(calls).toContain("drop 1");
    await set.close();
  });
});
