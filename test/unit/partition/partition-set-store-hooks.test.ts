import { afterEach, describe, expect, it, vi } from "vitest";
import type { InvokerPort } from "../../../invoker/index.js";
import { LeaseLostError } from "../../../partition/lease-errors.js";
import type { LeaseStore } from "../../../partition/storage/lease-store.js";
import { StetError } from "../../../protocol/errors.js";
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

/** SQLite's leases, except that taking them fails (as an unreachable store does) while `down`. */
function failingLeases(storage: SqliteStorage) {
  const state = { down: true, acquires: 0 };
  const leases: LeaseStore = Object.create(storage.leases, {
    acquire: {
      value: (...args: Parameters<LeaseStore["acquire"]>) => {
        state.acquires++;
        if (state.down) return Promise.reject(new StetError("STET_STORE_UNAVAILABLE", "the store is down", { status: 503 }));
        return storage.leases.acquire(...args);
      },
    },
  });
  return { leases, state };
}

const open: SqliteStorage[] = [];
afterEach(() => {
  open.splice(0).forEach((s) => s.close());
  vi.useRealTimers();
});

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

describe("a partition set whose lease store is unreachable", () => {
  it("keeps trying to take its leases with growing waits, and leads once the store answers again", async () => {
    vi.useFakeTimers();
    const storage = openSqliteStorage(":memory:");
    open.push(storage);
    const { leases, state } = failingLeases(storage);
    const errors: Error[] = [];
    const set = new PartitionSet({
      store: storage.partitions,
      leases,
      partitionCount: 2,
      holder: "node-a",
      // Rounds every 500 ms: without backoff, a minute down would be 120 attempts.
      leaseTtlMs: 1_000,
      services: { resolve: () => PLAIN },
      onError: (error) => errors.push(error),
    });
    await set.start(idleInvoker);
    expect(set.processor(0)?.isLeader).toBe(false);

    await vi.advanceTimersByTimeAsync(60_000);
    // 500, 1000, 2000, 4000 ms, then every 5 s: about 15 attempts in the minute, and still trying.
    expect(state.acquires).toBeGreaterThanOrEqual(10);
    expect(state.acquires).toBeLessThanOrEqual(20);
    expect(errors.length).toBe(state.acquires);
    expect(errors[0]).toMatchObject({ code: "STET_STORE_UNAVAILABLE" });

    state.down = false;
    await vi.advanceTimersByTimeAsync(5_500);
    expect(set.processor(0)?.isLeader).toBe(true);
    expect(set.processor(1)?.isLeader).toBe(true);

    // After a success the waits start over: a new outage is retried at the normal pace first.
    const before = state.acquires;
    await set.stepDown(0, "test");
    state.down = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state.acquires - before).toBe(2);
    await set.close();
  });
});
