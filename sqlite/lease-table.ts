import type { Database, Statement } from "better-sqlite3";
import { applyMigrations, type Migration } from "./store/migrations.js";
import { LeaseArgumentError, LeaseLostError } from "../partition/lease-errors.js";
import type { Lease, LeaseSnapshot, LeaseStore } from "../partition/storage/lease-store.js";

export type { Lease };

/** Wall-clock milliseconds; injected so tests drive expiry with fake timers. */
export interface LeaseClock {
  now(): number;
}

interface LeaseRow {
  partition_id: number;
  holder: string;
  epoch: number;
  expires_at: number;
}

const migrations: readonly Migration[] = [
  {
    version: 1,
    up: (db) =>
      db.exec(
        "CREATE TABLE leases (partition_id INTEGER PRIMARY KEY, holder TEXT NOT NULL, " +
          "epoch INTEGER NOT NULL, expires_at INTEGER NOT NULL)",
      ),
  },
];

/**
 * Partition leadership leases in SQLite (DESIGN.md, "Partitions and leases"). Epochs only ever rise —
 * a released row keeps its epoch — so every effect stamped with an epoch can be fenced with
 * `isCurrent`, across restarts too. Each read-modify-write runs in one IMMEDIATE transaction so that
 * two connections cannot both see a free lease and both take it.
 */
export class LeaseTable {
  readonly #db: Database;
  readonly #clock: LeaseClock;
  readonly #select: Statement<[number], LeaseRow>;
  readonly #upsert: Statement<[number, string, number, number]>;
  readonly #setExpiry: Statement<[number, number]>;
  readonly #selectAll: Statement<[], LeaseRow>;

  constructor(db: Database, clock: LeaseClock) {
    applyMigrations(db, "leases", migrations);
    this.#db = db;
    this.#clock = clock;
    this.#select = db.prepare<[number], LeaseRow>(
      "SELECT partition_id, holder, epoch, expires_at FROM leases WHERE partition_id = ?",
    );
    this.#upsert = db.prepare<[number, string, number, number]>(
      "INSERT INTO leases (partition_id, holder, epoch, expires_at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT(partition_id) DO UPDATE SET holder = excluded.holder, epoch = excluded.epoch, " +
        "expires_at = excluded.expires_at",
    );
    this.#setExpiry = db.prepare<[number, number]>("UPDATE leases SET expires_at = ? WHERE partition_id = ?");
    this.#selectAll = db.prepare<[], LeaseRow>("SELECT partition_id, holder, epoch, expires_at FROM leases ORDER BY partition_id");
  }

  /**
   * Takes the lease on `partition` for `ttlMs` if it is free, expired, or already `holder`'s. Every
   * acquisition bumps the epoch (first is 1). Returns null while another holder's lease is unexpired.
   */
  acquire(partition: number, holder: string, ttlMs: number): Lease | null {
    checkPartition(partition);
    if (typeof holder !== "string" || holder === "") throw new LeaseArgumentError("lease holder must be a non-empty string");
    checkTtl(ttlMs);
    return this.#db
      .transaction((): Lease | null => {
        const now = this.#clock.now();
        const row = this.#select.get(partition);
        if (row !== undefined && row.holder !== holder && row.expires_at > now) return null;
        const lease: Lease = { partition, holder, epoch: (row?.epoch ?? 0) + 1, expiresAt: now + ttlMs };
        this.#upsert.run(partition, holder, lease.epoch, lease.expiresAt);
        return lease;
      })
      .immediate();
  }

  /**
   * Extends `lease` to now + `ttlMs`. Throws `LeaseLostError` if the stored lease is no longer this
   * holder's at this epoch, or has expired — an expired lease is never revived, even if nobody took it.
   */
  renew(lease: Lease, ttlMs: number): Lease {
    checkTtl(ttlMs);
    return this.#db
      .transaction((): Lease => {
        const now = this.#clock.now();
        const row = this.#select.get(lease.partition);
        const reason = lostReason(row, lease, now);
        if (reason !== undefined) throw new LeaseLostError(lease.partition, lease.epoch, reason);
        const renewed: Lease = { ...lease, expiresAt: now + ttlMs };
        this.#setExpiry.run(renewed.expiresAt, lease.partition);
        return renewed;
      })
      .immediate();
  }

  /** Ends `lease` if it is still the stored one (same holder and epoch); keeps the epoch. Idempotent. */
  release(lease: Lease): void {
    this.#db
      .transaction(() => {
        const row = this.#select.get(lease.partition);
        if (row !== undefined && row.holder === lease.holder && row.epoch === lease.epoch && row.expires_at !== 0) {
          this.#setExpiry.run(0, lease.partition);
        }
      })
      .immediate();
  }

  /** Fencing check: whether `epoch` is the stored, unexpired lease of `partition`. */
  isCurrent(partition: number, epoch: number): boolean {
    const row = this.#select.get(partition);
    return row !== undefined && row.epoch === epoch && row.expires_at > this.#clock.now();
  }

  /** The stored lease of `partition`, expired or released ones included (`expiresAt` 0 after release). */
  get(partition: number): Lease | undefined {
    const row = this.#select.get(partition);
    return row === undefined ? undefined : toLease(row);
  }

  /** Every stored lease, with the clock's now. */
  snapshot(): LeaseSnapshot {
    return { now: this.#clock.now(), leases: this.#selectAll.all().map(toLease) };
  }
}

function lostReason(row: LeaseRow | undefined, lease: Lease, now: number): string | undefined {
  if (row === undefined) return "no lease is stored";
  if (row.holder !== lease.holder || row.epoch !== lease.epoch) {
    return `now held by ${JSON.stringify(row.holder)} at epoch ${row.epoch}`;
  }
  if (row.expires_at === 0) return "it was released";
  if (row.expires_at <= now) return `it expired at ${row.expires_at} (now ${now})`;
  return undefined;
}

function toLease(row: LeaseRow): Lease {
  return { partition: row.partition_id, holder: row.holder, epoch: row.epoch, expiresAt: row.expires_at };
}

function checkPartition(partition: number): void {
  if (!Number.isSafeInteger(partition) || partition < 0) {
    throw new LeaseArgumentError(`partition must be a non-negative integer, got ${String(partition)}`);
  }
}

function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new LeaseArgumentError(`lease ttl must be a positive integer of milliseconds, got ${String(ttlMs)}`);
  }
}

/** The lease table behind the asynchronous seam the partitions use; several leases in one transaction. */
export class SqliteLeaseStore implements LeaseStore {
  readonly #db: Database;
  readonly table: LeaseTable;

  constructor(db: Database, clock: LeaseClock) {
    this.#db = db;
    this.table = new LeaseTable(db, clock);
  }

  acquire(partitions: readonly number[], holder: string, ttlMs: number): Promise<Lease[]> {
    return settle(() =>
      this.#db.transaction(() => partitions.map((p) => this.table.acquire(p, holder, ttlMs)).filter((l): l is Lease => l !== null))(),
    );
  }

  renew(lease: Lease, ttlMs: number): Promise<Lease> {
    return settle(() => this.table.renew(lease, ttlMs));
  }

  release(lease: Lease): Promise<void> {
    return settle(() => this.table.release(lease));
  }

  get(partition: number): Promise<Lease | undefined> {
    return settle(() => this.table.get(partition));
  }

  snapshot(): Promise<LeaseSnapshot> {
    return settle(() => this.table.snapshot());
  }
}

function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}
