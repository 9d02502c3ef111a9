import { afterEach, describe, expect, it, vi } from "vitest";
import { LeaseLostError } from "../../../partition/lease-errors.js";
import type { Lease } from "../../../partition/storage/lease-store.js";
import { fencedTransaction, PgLeaseStore, PostgresDatabase, type PostgresOptions } from "../../../postgres/index.js";
import { usePostgres } from "../../helpers/postgres.js";

const postgres = usePostgres();
const LONG = 60_000;

interface Node {
  readonly name: string;
  readonly db: PostgresDatabase;
  readonly leases: PgLeaseStore;
}

afterEach(() => {
  vi.useRealTimers();
});

/** One stet node's view of the cluster's database: its own pool, its own lease store. */
async function node(name: string, options: Partial<PostgresOptions> = {}): Promise<Node> {
  const db = await postgres.connect({ applicationName: name, ...options });
  return { name, db, leases: await PgLeaseStore.open(db) };
}

/** Lets a lease run out now, as time passing on PostgreSQL's clock would (the row is otherwise untouched). */
async function expire(db: PostgresDatabase, partition: number): Promise<void> {
  await db.query("UPDATE leases SET expires_at = clock_timestamp() - interval '1 millisecond' WHERE partition_id = $1", [partition]);
}

/** Asks for `partition` until `n` gets it: a lease that runs out on PostgreSQL's clock, in real time. */
function takeOnceFree(n: Node, partition: number): Promise<Lease> {
  return vi.waitFor(
    async () => {
      const [got] = await n.leases.acquire([partition], n.name, LONG);
      expect(got).toBeDefined();
      return got!;
    },
    { timeout: 5_000, interval: 50 },
  );
}

async function lost(promise: Promise<unknown>): Promise<LeaseLostError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(LeaseLostError);
  expect(error).toMatchObject({ code: "STET_LEASE_LOST", status: 503 });
  return error as LeaseLostError;
}

const taken = (leases: Lease[]) => leases.map((l) => [l.partition, l.holder, l.epoch]);

describe("PgLeaseStore: two nodes on one database", () => {
  it("takes free leases at epoch 1 and leaves held ones to their holder", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    expect(taken(await a.leases.acquire([1, 0], "node-a", LONG))).toEqual([
      [0, "node-a", 1],
      [1, "node-a", 1],
    ]);
    expect(taken(await b.leases.acquire([0, 1, 2], "node-b", LONG))).toEqual([[2, "node-b", 1]]);
    expect(await b.leases.get(0)).toMatchObject({ partition: 0, holder: "node-a", epoch: 1 });
    expect(await b.leases.get(9)).toBeUndefined();
    expect(await a.leases.acquire([], "node-a", LONG)).toEqual([]);
  });

  it("raises the epoch when the holder takes its own lease again", async () => {
    const a = await node("node-a");
    expect(taken(await a.leases.acquire([0], "node-a", LONG))).toEqual([[0, "node-a", 1]]);
    expect(taken(await a.leases.acquire([0], "node-a", LONG))).toEqual([[0, "node-a", 2]]);
  });

  it("lets a lease expire on PostgreSQL's clock: the other node takes it, the old holder's renewal fails naming the new one", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    const [first] = await a.leases.acquire([0], "node-a", 200);
    expect(await b.leases.acquire([0], "node-b", LONG)).toEqual([]);
    const second = await takeOnceFree(b, 0);
    expect(second).toMatchObject({ partition: 0, holder: "node-b", epoch: 2 });
    const error = await lost(a.leases.renew(first!, LONG));
    expect(error).toMatchObject({ partition: 0, epoch: 1 });
    expect(error.message).toContain('now held by "node-b" at epoch 2');
    expect(await a.leases.get(0)).toMatchObject({ holder: "node-b", epoch: 2 });
  });

  it("renews only a current lease: not an expired one nobody took, not a released one", async () => {
    const a = await node("node-a");
    const [lease] = await a.leases.acquire([0, 1], "node-a", 1_000);
    const before = (await a.db.query<{ ms: number }>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms")).rows[0]!.ms;
    const renewed = await a.leases.renew(lease!, LONG);
    expect(renewed).toMatchObject({ partition: 0, holder: "node-a", epoch: 1 });
    expect(renewed.expiresAt).toBeGreaterThanOrEqual(Math.floor(before) + LONG - 1);
    await expire(a.db, 0);
    expect((await lost(a.leases.renew(renewed, LONG))).message).toMatch(/it expired at/);
    const other = (await a.leases.get(1))!;
    await a.leases.release(other);
    expect((await lost(a.leases.renew(other, LONG))).message).toMatch(/it was released/);
  });

  it("release keeps the epoch and lets the other node take the lease at once; a stale release changes nothing", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    const [held] = await a.leases.acquire([0], "node-a", LONG);
    await a.leases.release(held!);
    await a.leases.release(held!); // idempotent
    expect(await a.leases.get(0)).toEqual({ partition: 0, holder: "node-a", epoch: 1, expiresAt: 0 });
    expect(taken(await b.leases.acquire([0], "node-b", LONG))).toEqual([[0, "node-b", 2]]);
    await a.leases.release(held!);
    expect(await b.leases.get(0)).toMatchObject({ holder: "node-b", epoch: 2, expiresAt: expect.any(Number) });
    expect((await b.leases.get(0))!.expiresAt).toBeGreaterThan(0);
    await lost(a.leases.renew(held!, LONG));
  });

  it("only ever raises epochs, across re-acquisition, release and takeover", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    const epochs: number[] = [];
    const take = async (n: Node) => {
      const [lease] = await n.leases.acquire([0], n.name, LONG);
      expect(lease?.holder).toBe(n.name);
      epochs.push(lease!.epoch);
      return lease!;
    };
    await a.leases.release(await take(a));
    const stale = await take(b);
    await expire(a.db, 0);
    await take(a);
    await take(a);
    await b.leases.release(stale); // no longer the stored lease: changes nothing
    expect(await b.leases.acquire([0], "node-b", LONG)).toEqual([]);
    await a.leases.release(await take(a));
    await take(b);
    expect(epochs).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("judges expiry on PostgreSQL's clock, whatever the node's clock says", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 86_400_000);
    const [lease] = await a.leases.acquire([0], "node-a", LONG);
    expect(await b.leases.acquire([0], "node-b", LONG)).toEqual([]);
    vi.useRealTimers();
    const pgNow = (await a.db.query<{ ms: number }>("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms")).rows[0]!.ms;
    expect(lease!.expiresAt).toBeGreaterThan(pgNow + LONG - 5_000);
    expect(lease!.expiresAt).toBeLessThanOrEqual(pgNow + LONG);
  });

  it("gives a partition that two nodes ask for at the same moment to exactly one of them (200 rounds at once)", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    const rounds = Array.from({ length: 200 }, (_, p) => p);
    const results = await Promise.all(
      rounds.map(async (p) => {
        const [fromA, fromB] = await Promise.all([a.leases.acquire([p], "node-a", LONG), b.leases.acquire([p], "node-b", LONG)]);
        return [...fromA, ...fromB];
      }),
    );
    for (const [p, winners] of results.entries()) {
      expect(winners, `partition ${p}`).toHaveLength(1);
      expect(winners[0]).toMatchObject({ partition: p, epoch: 1 });
      expect(await a.leases.get(p)).toMatchObject({ holder: winners[0]!.holder });
    }
  });

  it("splits many partitions asked for by both nodes at once between them, each to one, none lost", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    for (let round = 0; round < 20; round++) {
      const partitions = Array.from({ length: 64 }, (_, i) => round * 64 + i);
      const [fromA, fromB] = await Promise.all([
        a.leases.acquire(partitions, "node-a", LONG),
        b.leases.acquire([...partitions].reverse(), "node-b", LONG),
      ]);
      const all = [...fromA, ...fromB].map((l) => l.partition).sort((x, y) => x - y);
      expect(all).toEqual(partitions);
    }
  });
});

describe("the fence of a leader's transaction", () => {
  async function withTable(n: Node): Promise<void> {
    await n.db.query("CREATE TABLE writes (partition_id integer, epoch integer, v text)");
  }
  const write = (n: Node, lease: Lease, v: string) =>
    fencedTransaction(n.db, [lease], (c) => c.query("INSERT INTO writes VALUES ($1, $2, $3)", [lease.partition, lease.epoch, v]));
  const rows = async (n: Node) => (await n.db.query("SELECT partition_id, epoch, v FROM writes ORDER BY v")).rows;

  it("lets the current leader write; after a takeover the old leader's write fails whole and stores nothing", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    await withTable(a);
    const [old] = await a.leases.acquire([0], "node-a", LONG);
    await write(a, old!, "a1");
    await expire(b.db, 0);
    const [current] = await b.leases.acquire([0], "node-b", LONG);
    const error = await lost(write(a, old!, "a2"));
    expect(error).toMatchObject({ partition: 0, epoch: 1 });
    expect(error.message).toContain('now held by "node-b" at epoch 2');
    await write(b, current!, "b1");
    expect(await rows(a)).toEqual([
      { partition_id: 0, epoch: 1, v: "a1" },
      { partition_id: 0, epoch: 2, v: "b1" },
    ]);
  });

  it("fails a transaction over several partitions when one of them is lost, and stores none of it", async () => {
    const a = await node("node-a");
    await withTable(a);
    const leases = await a.leases.acquire([0, 1, 2], "node-a", LONG);
    await a.leases.release(leases[1]!);
    const error = await lost(
      fencedTransaction(a.db, leases, async (c) => {
        for (const l of leases) await c.query("INSERT INTO writes VALUES ($1, $2, 'x')", [l.partition, l.epoch]);
      }),
    );
    expect(error).toMatchObject({ partition: 1, epoch: 1 });
    expect(error.message).toMatch(/it was released/);
    expect(await rows(a)).toEqual([]);
  });

  it("makes a takeover wait for a transaction that already passed the fence, then fences the old leader off", async () => {
    const [a, b] = [await node("node-a"), await node("node-b")];
    await withTable(a);
    const [old] = await a.leases.acquire([0], "node-a", 300);
    let takeover: Promise<Lease[]> | undefined;
    await fencedTransaction(a.db, [old!], async (c) => {
      await c.query("INSERT INTO writes VALUES (0, 1, 'in flight')");
      // The lease runs out while the transaction is open (reading the row does not wait for the lock).
      await vi.waitFor(
        async () => expect((await b.db.query("SELECT stet_lease_loss(0, 1) AS r")).rows[0]?.r).toMatch(/expired/),
        { timeout: 5_000, interval: 20 },
      );
      takeover = b.leases.acquire([0], "node-b", LONG);
      // The takeover is waiting on the row lock the fence holds.
      await vi.waitFor(
        async () => {
          const waiting = await b.db.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'node-b' AND wait_event_type = 'Lock'");
          expect(waiting.rowCount).toBe(1);
        },
        { timeout: 5_000, interval: 20 },
      );
    });
    expect(taken(await takeover!)).toEqual([[0, "node-b", 2]]);
    await lost(write(a, old!, "late"));
    expect(await rows(a)).toEqual([{ partition_id: 0, epoch: 1, v: "in flight" }]);
  });

  it("ends the transaction of a leader that stalls inside it, so that another node can take over", async () => {
    const a = await node("node-a", { idleInTransactionTimeoutMs: 300 });
    const b = await node("node-b");
    await withTable(a);
    const [old] = await a.leases.acquire([0], "node-a", 100);
    let resume!: () => void;
    const stalled = fencedTransaction(a.db, [old!], async (c) => {
      await new Promise<void>((r) => (resume = r)); // a paused process: holds the fence, sends nothing
      await c.query("INSERT INTO writes VALUES (0, 1, 'after the stall')");
    });
    const current = await takeOnceFree(b, 0);
    expect(current).toMatchObject({ holder: "node-b", epoch: 2 });
    resume();
    await expect(stalled).rejects.toMatchObject({ code: "STET_STORE_UNAVAILABLE" });
    expect(await rows(b)).toEqual([]);
  });
});
