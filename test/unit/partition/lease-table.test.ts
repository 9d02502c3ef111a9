import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LeaseArgumentError, LeaseKeeperClosedError, LeaseLostError } from "../../../partition/lease-errors.js";
import { LeaseKeeper } from "../../../partition/lease-keeper.js";
import { LeaseTable, type LeaseClock } from "../../../sqlite/lease-table.js";
import BetterSqlite3 from "better-sqlite3";

/**
 * A plain shared WAL connection: the lease table is written for several nodes sharing one store, which
 * stet's own `openDatabase` (exclusive, one process per data folder) rules out on purpose.
 */
function openDatabase(file: string): Database {
  const connection = new BetterSqlite3(file);
  connection.pragma("journal_mode = WAL");
  connection.pragma("busy_timeout = 2000");
  return connection;
}

const TTL = 3_000;
const clock: LeaseClock = { now: () => Date.now() };

let dir: string;
let file: string;
let db: Database;
let table: LeaseTable;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  dir = mkdtempSync(join(tmpdir(), "stet-leases-"));
  file = join(dir, "stet.db");
  db = openDatabase(file);
  table = new LeaseTable(db, clock);
});

afterEach(() => {
  vi.useRealTimers();
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("LeaseTable", () => {
  it("acquires a free lease at epoch 1 and refuses another holder while it is unexpired", () => {
    const lease = table.acquire(0, "node-a", TTL);
    expect(lease).toEqual({ partition: 0, holder: "node-a", epoch: 1, expiresAt: Date.now() + TTL });
    expect(table.get(0)).toEqual(lease);
    expect(table.isCurrent(0, 1)).toBe(true);

    vi.advanceTimersByTime(TTL - 1);
    expect(table.acquire(0, "node-b", TTL)).toBeNull();
    expect(table.get(0)?.holder).toBe("node-a");
    expect(table.get(1)).toBeUndefined();
  });

  it("keeps partitions independent", () => {
    expect(table.acquire(0, "node-a", TTL)?.epoch).toBe(1);
    expect(table.acquire(1, "node-b", TTL)?.epoch).toBe(1);
    expect(table.acquire(0, "node-b", TTL)).toBeNull();
    expect(table.isCurrent(1, 1)).toBe(true);
  });

  it("bumps the epoch when the same holder acquires again", () => {
    const first = table.acquire(3, "node-a", TTL);
    const second = table.acquire(3, "node-a", TTL);
    expect(second?.epoch).toBe(2);
    expect(table.isCurrent(3, first?.epoch ?? -1)).toBe(false);
    expect(table.isCurrent(3, 2)).toBe(true);
  });

  it("renew extends the expiry", () => {
    const lease = table.acquire(0, "node-a", TTL);
    if (lease === null) throw new Error("not acquired");
    vi.advanceTimersByTime(2_000);
    const renewed = table.renew(lease, TTL);
    expect(renewed).toEqual({ ...lease, expiresAt: Date.now() + TTL });

    vi.advanceTimersByTime(2_000); // past the first expiry, within the renewed one
    expect(table.isCurrent(0, lease.epoch)).toBe(true);
    expect(table.acquire(0, "node-b", TTL)).toBeNull();
  });

  it("lets another holder take over after expiry with a higher epoch; the stale holder is fenced", () => {
    const stale = table.acquire(0, "node-a", TTL);
    if (stale === null) throw new Error("not acquired");
    vi.advanceTimersByTime(TTL); // expires_at <= now: expired
    expect(table.isCurrent(0, stale.epoch)).toBe(false);

    const taken = table.acquire(0, "node-b", TTL);
    expect(taken).toMatchObject({ holder: "node-b", epoch: 2 });

    const error = thrown(() => table.renew(stale, TTL));
    expect(error).toBeInstanceOf(LeaseLostError);
    expect((error as LeaseLostError).code).toBe("STET_LEASE_LOST");
    expect((error as LeaseLostError).message).toContain("node-b");
    expect(table.isCurrent(0, stale.epoch)).toBe(false);
    expect(table.isCurrent(0, 2)).toBe(true);
    expect(table.get(0)).toEqual(taken); // the failed renewal did not take the lease back
  });

  it("does not revive an expired lease nobody took", () => {
    const lease = table.acquire(0, "node-a", TTL);
    if (lease === null) throw new Error("not acquired");
    vi.advanceTimersByTime(TTL + 1);
    expect(thrown(() => table.renew(lease, TTL))).toBeInstanceOf(LeaseLostError);
    expect(table.get(0)?.expiresAt).toBe(lease.expiresAt);
  });

  it("release ends the lease idempotently without lowering the epoch; re-acquiring bumps it", () => {
    const lease = table.acquire(0, "node-a", TTL);
    if (lease === null) throw new Error("not acquired");
    table.release(lease);
    table.release(lease);
    expect(table.isCurrent(0, lease.epoch)).toBe(false);
    expect(table.get(0)).toEqual({ ...lease, expiresAt: 0 });
    expect(thrown(() => table.renew(lease, TTL))).toBeInstanceOf(LeaseLostError);

    const next = table.acquire(0, "node-b", TTL);
    expect(next?.epoch).toBe(2);
    table.release(lease); // a stale release must not end the new holder's lease
    expect(table.isCurrent(0, 2)).toBe(true);
  });

  it("keeps epochs rising across reopening the database file", () => {
    table.acquire(0, "node-a", TTL);
    table.acquire(0, "node-a", TTL);
    const released = table.acquire(0, "node-a", TTL);
    if (released === null) throw new Error("not acquired");
    table.release(released);
    db.close();

    db = openDatabase(file);
    table = new LeaseTable(db, clock);
    expect(table.get(0)?.epoch).toBe(3);
    expect(table.acquire(0, "node-b", TTL)?.epoch).toBe(4);
  });

  it("fences across two connections to the same file", () => {
    const other = openDatabase(file);
    try {
      const otherTable = new LeaseTable(other, clock);
      expect(table.acquire(0, "node-a", TTL)?.epoch).toBe(1);
      expect(otherTable.acquire(0, "node-b", TTL)).toBeNull();
      vi.advanceTimersByTime(TTL);
      expect(otherTable.acquire(0, "node-b", TTL)?.epoch).toBe(2);
      expect(table.isCurrent(0, 1)).toBe(false);
    } finally {
      other.close();
    }
  });

  it("rejects out-of-range arguments with a coded error", () => {
    for (const call of [
      () => table.acquire(-1, "node-a", TTL),
      () => table.acquire(1.5, "node-a", TTL),
      () => table.acquire(0, "", TTL),
      () => table.acquire(0, "node-a", 0),
    ]) {
      const error = thrown(call);
      expect(error).toBeInstanceOf(LeaseArgumentError);
      expect((error as LeaseArgumentError).code).toBe("STET_LEASE_INVALID_ARGUMENT");
    }
  });
});

describe("LeaseKeeper", () => {
  it("acquires and keeps renewing the lease past its original expiry", () => {
    const onLost = vi.fn();
    const keeper = new LeaseKeeper({ table, partition: 0, holder: "node-a", ttlMs: TTL, onLost });
    const lease = keeper.acquire();
    expect(lease?.epoch).toBe(1);
    expect(keeper.acquire()).toBe(lease); // already held: same lease, no new epoch

    vi.advanceTimersByTime(10 * TTL);
    expect(onLost).not.toHaveBeenCalled();
    expect(table.isCurrent(0, 1)).toBe(true);
    expect(keeper.lease?.expiresAt).toBeGreaterThan(Date.now());
    expect(table.acquire(0, "node-b", TTL)).toBeNull();
    keeper.close();
  });

  it("returns null while another holder has the lease", () => {
    table.acquire(0, "node-b", TTL);
    const keeper = new LeaseKeeper({ table, partition: 0, holder: "node-a", ttlMs: TTL, onLost: vi.fn() });
    expect(keeper.acquire()).toBeNull();
    expect(keeper.lease).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("calls onLost when its lease was stolen after expiry", () => {
    const onLost = vi.fn();
    const keeper = new LeaseKeeper({ table, partition: 0, holder: "node-a", ttlMs: TTL, onLost });
    keeper.acquire();

    // The process stalls past the expiry (no timers run), and another node takes over meanwhile.
    vi.setSystemTime(Date.now() + TTL + 1);
    expect(table.acquire(0, "node-b", TTL)?.epoch).toBe(2);

    vi.advanceTimersByTime(TTL / 3);
    expect(onLost).toHaveBeenCalledTimes(1);
    const reason = onLost.mock.calls[0]?.[0] as LeaseLostError;
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(reason.epoch).toBe(1);
    expect(keeper.lease).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0); // stops renewing

    keeper.close(); // must not release node-b's lease
    expect(table.isCurrent(0, 2)).toBe(true);
    vi.advanceTimersByTime(10 * TTL);
    expect(onLost).toHaveBeenCalledTimes(1);
    expect(table.get(0)).toMatchObject({ holder: "node-b", epoch: 2 });
  });

  it("reports a failing renewal as a lost lease with its cause", () => {
    const onLost = vi.fn();
    const keeper = new LeaseKeeper({ table, partition: 0, holder: "node-a", ttlMs: TTL, onLost });
    keeper.acquire();
    db.close();
    vi.advanceTimersByTime(TTL / 3);
    const reason = onLost.mock.calls[0]?.[0] as LeaseLostError;
    expect(reason.code).toBe("STET_LEASE_LOST");
    expect(reason.cause).toBeInstanceOf(Error);
  });

  it("release and close stop renewing and release the lease, idempotently", () => {
    const onLost = vi.fn();
    const keeper = new LeaseKeeper({ table, partition: 0, holder: "node-a", ttlMs: TTL, onLost });
    keeper.acquire();
    keeper.release();
    keeper.release();
    expect(vi.getTimerCount()).toBe(0);
    expect(table.isCurrent(0, 1)).toBe(false);

    expect(keeper.acquire()?.epoch).toBe(2); // step up again after a step-down
    keeper.close();
    keeper.close();
    expect(table.isCurrent(0, 2)).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(thrown(() => keeper.acquire())).toBeInstanceOf(LeaseKeeperClosedError);
    vi.advanceTimersByTime(10 * TTL);
    expect(onLost).not.toHaveBeenCalled();
  });

  it("destroy stops renewing but leaves the lease to expire, as a crash would", () => {
    const keeper = new LeaseKeeper({ table, partition: 0, holder: "node-a", ttlMs: TTL, onLost: vi.fn() });
    keeper.acquire();
    keeper.destroy();
    expect(table.isCurrent(0, 1)).toBe(true);
    vi.advanceTimersByTime(TTL);
    expect(table.isCurrent(0, 1)).toBe(false);
    expect(table.acquire(0, "node-b", TTL)?.epoch).toBe(2);
  });
});
