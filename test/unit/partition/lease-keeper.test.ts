import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LeaseKeeperClosedError, LeaseLostError } from "../../../partition/lease-errors.js";
import { LeaseKeeper } from "../../../partition/lease-keeper.js";
import type { Lease } from "../../../partition/index.js";
import { openSqliteStorage, type SqliteLeaseStore, type SqliteStorage } from "../../../sqlite/index.js";

const TTL = 3_000;

let storage: SqliteStorage;
let store: SqliteLeaseStore;
let closed = false;
/** Closes the database under the keeper: every later call to the store fails. */
const breakStore = () => ((closed = true), storage.close());

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  storage = openSqliteStorage(":memory:", { clock: { now: () => Date.now() } });
  store = storage.leases;
  closed = false;
});

afterEach(() => {
  vi.useRealTimers();
  if (!closed) storage.close();
});

async function take(partition: number, holder: string): Promise<Lease | undefined> {
  return (await store.acquire([partition], holder, TTL))[0];
}

function keeperOf(onLost = vi.fn(), onError = vi.fn()): LeaseKeeper {
  return new LeaseKeeper({ store, partition: 0, ttlMs: TTL, onLost, onError });
}

describe("LeaseKeeper", () => {
  it("keeps renewing a held lease past its original expiry", async () => {
    const onLost = vi.fn();
    const keeper = keeperOf(onLost);
    keeper.hold((await take(0, "node-a"))!);
    await vi.advanceTimersByTimeAsync(10 * TTL);
    expect(onLost).not.toHaveBeenCalled();
    expect(store.table.isCurrent(0, 1)).toBe(true);
    expect(keeper.lease?.expiresAt).toBeGreaterThan(Date.now());
    expect(await take(0, "node-b")).toBeUndefined();
    await keeper.close();
  });

  it("calls onLost when its lease was taken after expiry, and never releases the new holder's", async () => {
    const onLost = vi.fn();
    const keeper = keeperOf(onLost);
    keeper.hold((await take(0, "node-a"))!);

    // The process stalls past the expiry (no timers run), and another node takes over meanwhile.
    vi.setSystemTime(Date.now() + TTL + 1);
    expect((await take(0, "node-b"))?.epoch).toBe(2);

    await vi.advanceTimersByTimeAsync(TTL / 3);
    expect(onLost).toHaveBeenCalledTimes(1);
    const reason = onLost.mock.calls[0]?.[0] as LeaseLostError;
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(reason.epoch).toBe(1);
    expect(keeper.lease).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0); // stops renewing

    await keeper.close();
    expect(store.table.isCurrent(0, 2)).toBe(true);
    await vi.advanceTimersByTimeAsync(10 * TTL);
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(await store.get(0)).toMatchObject({ holder: "node-b", epoch: 2 });
  });

  it("reports a failing renewal as a lost lease with its cause", async () => {
    const onLost = vi.fn();
    const keeper = keeperOf(onLost);
    keeper.hold((await take(0, "node-a"))!);
    breakStore();
    await vi.advanceTimersByTimeAsync(TTL / 3);
    const reason = onLost.mock.calls[0]?.[0] as LeaseLostError;
    expect(reason.code).toBe("STET_LEASE_LOST");
    expect(reason.cause).toBeInstanceOf(Error);
  });

  it("does not report a renewal that was under way when the lease was released", async () => {
    const onLost = vi.fn();
    const keeper = keeperOf(onLost);
    keeper.hold((await take(0, "node-a"))!);
    // A renewal that answers only after the release (as a slow database would): it must not count.
    let answer: (lease: Lease) => void = () => undefined;
    vi.spyOn(store, "renew").mockImplementationOnce(() => new Promise<Lease>((resolve) => (answer = resolve)));
    await vi.advanceTimersByTimeAsync(TTL / 3);
    await keeper.release();
    answer({ partition: 0, holder: "node-a", epoch: 1, expiresAt: Date.now() + TTL });
    await vi.advanceTimersByTimeAsync(10 * TTL);
    expect(onLost).not.toHaveBeenCalled();
    expect(keeper.lease).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("release and close stop renewing and release the lease, idempotently", async () => {
    const onLost = vi.fn();
    const keeper = keeperOf(onLost);
    keeper.hold((await take(0, "node-a"))!);
    await keeper.release();
    await keeper.release();
    expect(vi.getTimerCount()).toBe(0);
    expect(store.table.isCurrent(0, 1)).toBe(false);

    keeper.hold((await take(0, "node-a"))!); // step up again after a step-down
    expect(keeper.lease?.epoch).toBe(2);
    await keeper.close();
    await keeper.close();
    expect(store.table.isCurrent(0, 2)).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(() => keeper.hold({ partition: 0, holder: "node-a", epoch: 3, expiresAt: Date.now() + TTL })).toThrow(LeaseKeeperClosedError);
    await vi.advanceTimersByTimeAsync(10 * TTL);
    expect(onLost).not.toHaveBeenCalled();
  });

  it("reports a release the store refused, and lets the lease run out", async () => {
    const onError = vi.fn();
    const keeper = keeperOf(vi.fn(), onError);
    keeper.hold((await take(0, "node-a"))!);
    breakStore();
    await keeper.release();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(keeper.lease).toBeUndefined();
  });

  it("destroy stops renewing but leaves the lease to expire, as a crash would", async () => {
    const keeper = keeperOf();
    keeper.hold((await take(0, "node-a"))!);
    keeper.destroy();
    expect(store.table.isCurrent(0, 1)).toBe(true);
    await vi.advanceTimersByTimeAsync(TTL);
    expect(store.table.isCurrent(0, 1)).toBe(false);
  });
});
