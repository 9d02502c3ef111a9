import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LeaseArgumentError, LeaseLostError } from "../../../partition/lease-errors.js";
import { LeaseTable, SqliteLeaseStore, type LeaseClock } from "../../../sqlite/lease-table.js";
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

describe("SqliteLeaseStore", () => {
  it("takes several leases in one call, skipping those another holder has, each one epoch up", async () => {
    const store = new SqliteLeaseStore(db, clock);
    table.acquire(1, "node-b", TTL);
    table.acquire(2, "node-a", TTL);
    const taken = await store.acquire([0, 1, 2], "node-a", TTL);
    expect(taken.map((l) => [l.partition, l.epoch])).toEqual([[0, 1], [2, 2]]);
    await expect(store.renew(taken[0]!, TTL)).resolves.toMatchObject({ partition: 0, epoch: 1 });
    await store.release(taken[0]!);
    expect(await store.get(0)).toMatchObject({ epoch: 1, expiresAt: 0 });
    await expect(store.renew(taken[0]!, TTL)).rejects.toBeInstanceOf(LeaseLostError);
  });
});
