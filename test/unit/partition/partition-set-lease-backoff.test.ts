import { afterEach, describe, expect, it, vi } from "vitest";
import type { InvokerPort } from "../../../invoker/index.js";
import { PartitionSet, type HandlerInfo } from "../../../partition/index.js";
import type { LeaseStore } from "../../../partition/storage/lease-store.js";
import { StetError } from "../../../protocol/errors.js";
import { openSqliteStorage, type SqliteStorage } from "../../../sqlite/index.js";

const PLAIN: HandlerInfo = { serviceType: "SERVICE", handlerType: null, retentionMs: 60_000, maxAttempts: null, onMaxAttempts: "PAUSE" };

const idleInvoker: InvokerPort = {
  registerPartition() {},
  abortPartition() {},
  enqueue() {},
  notify() {},
  abortInvocation() {},
};

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

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
  vi.useRealTimers();
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
    open.push(set);
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
  });
});
