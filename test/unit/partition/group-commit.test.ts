import BetterSqlite3 from "better-sqlite3";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CommitterClosedError, GroupCommitter } from "../../../partition/group-commit.js";
import { openDatabase } from "../../../partition/store/open-database.js";

function db() {
  const d = new BetterSqlite3(":memory:");
  d.exec("CREATE TABLE t (v INTEGER PRIMARY KEY)");
  return d;
}
const insert = (d: BetterSqlite3.Database, v: number) => () => {
  d.prepare("INSERT INTO t (v) VALUES (?)").run(v);
  return { result: v };
};
const rows = (d: BetterSqlite3.Database) => (d.prepare("SELECT v FROM t ORDER BY v").all() as { v: number }[]).map((r) => r.v);

describe("group commit", () => {
  it("commits everything submitted in one tick as one transaction, in order", async () => {
    const d = db();
    const c = new GroupCommitter(d);
    const results = await Promise.all([1, 2, 3].map((v) => c.submit(insert(d, v))));
    expect(results).toEqual([1, 2, 3]);
    expect(c.batchCount).toBe(1);
    expect(rows(d)).toEqual([1, 2, 3]);
    await c.submit(insert(d, 4));
    expect(c.batchCount).toBe(2);
  });

  it("rolls back only the command that throws", async () => {
    const d = db();
    const c = new GroupCommitter(d);
    const failing = () => {
      d.prepare("INSERT INTO t (v) VALUES (?)").run(10);
      throw new Error("bad command");
    };
    const [a, b, e] = await Promise.allSettled([c.submit(insert(d, 1)), c.submit(failing), c.submit(insert(d, 2))]);
    expect(a.status).toBe("fulfilled");
    expect(b.status).toBe("rejected");
    expect(e.status).toBe("fulfilled");
    expect(rows(d)).toEqual([1, 2]);
  });

  it("runs post-commit callbacks only after the commit, and survives one that throws", async () => {
    const d = db();
    const seen: string[] = [];
    const c = new GroupCommitter(d, (err) => seen.push(`error: ${err.message}`));
    await Promise.all([
      c.submit(() => {
        d.prepare("INSERT INTO t (v) VALUES (1)").run();
        return { result: 1, after: () => seen.push(`after sees ${rows(d).length} row(s), in tx: ${d.inTransaction}`) };
      }),
      c.submit(() => ({ result: 2, after: () => { throw new Error("callback broke"); } })),
    ]);
    expect(seen).toEqual(["after sees 1 row(s), in tx: false", "error: callback broke"]);
  });

  it("rejects the whole batch when the commit itself fails, acknowledging nothing", async () => {
    const d = db();
    d.exec("CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)");
    d.pragma("foreign_keys = ON");
    const c = new GroupCommitter(d);
    const ok = c.submit(insert(d, 1));
    // A deferred constraint fails only at COMMIT, standing in for an fsync or disk-full error there.
    const breaksCommit = c.submit(() => {
      d.prepare("INSERT INTO child (p) VALUES (99)").run();
      return { result: 0 };
    });
    await expect(ok).rejects.toMatchObject({ code: "STET_STORAGE_COMMIT_FAILED" });
    await expect(breaksCommit).rejects.toMatchObject({ code: "STET_STORAGE_COMMIT_FAILED" });
    expect(rows(d)).toEqual([]);
  });

  it("refuses work after close", async () => {
    const d = db();
    const c = new GroupCommitter(d);
    const pending = c.submit(insert(d, 1));
    c.close();
    await expect(pending).resolves.toBe(1);
    await expect(c.submit(insert(d, 2))).rejects.toBeInstanceOf(CommitterClosedError);
  });
});

describe("group commit on a WAL file (the fsync off the event loop)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A file database as stet opens it, and an fsync the test completes (or fails) by hand. */
  function walDb() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stet-gc-"));
    dirs.push(dir);
    const d = openDatabase(path.join(dir, "t.db"));
    d.exec("CREATE TABLE t (v INTEGER PRIMARY KEY)");
    const held: Array<{ fd: number; done: (error: Error | null) => void }> = [];
    const fsync = (fd: number, done: (error: Error | null) => void) => held.push({ fd, done });
    return { d, held, fsync };
  }
  const settled = async (p: Promise<unknown>) => {
    let state = "pending";
    p.then(() => (state = "resolved"), () => (state = "rejected"));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    return state;
  };

  it("answers a command and runs its actions only after the WAL is fsynced", async () => {
    const { d, held, fsync } = walDb();
    const actions: string[] = [];
    const c = new GroupCommitter(d, undefined, undefined, { fsync });
    const done = c.submit(() => {
      d.prepare("INSERT INTO t (v) VALUES (1)").run();
      return { result: 1, after: () => actions.push("after") };
    });
    expect(await settled(done)).toBe("pending");
    expect(rows(d)).toEqual([1]); // committed …
    expect(actions).toEqual([]); // … but not acknowledged
    expect(held).toHaveLength(1);
    expect(fs.fstatSync(held[0]!.fd).ino).toBe(fs.statSync(`${d.name}-wal`).ino); // the WAL is what gets synced
    expect(d.pragma("synchronous", { simple: true })).toBe(2); // other writers keep SQLite's own fsync
    held[0]!.done(null);
    await expect(done).resolves.toBe(1);
    expect(actions).toEqual(["after"]);
    c.close();
  });

  it("covers the batches committed while an fsync runs with the next one, answering in commit order", async () => {
    const { d, held, fsync } = walDb();
    const order: number[] = [];
    const c = new GroupCommitter(d, undefined, undefined, { fsync });
    const submit = (v: number) => c.submit(() => ({ ...insert(d, v)(), after: () => order.push(v) }));
    const first = submit(1);
    await settled(first);
    const second = submit(2);
    const third = submit(3);
    expect(await settled(Promise.all([second, third]))).toBe("pending");
    expect(c.batchCount).toBe(2);
    expect(held).toHaveLength(1); // one fsync at a time
    held[0]!.done(null);
    await first;
    expect(held).toHaveLength(2); // the next fsync covers batch 2 (both commands)
    expect(order).toEqual([1]);
    held[1]!.done(null);
    await expect(Promise.all([second, third])).resolves.toEqual([2, 3]);
    expect(order).toEqual([1, 2, 3]);
    expect(c.syncCount).toBe(2);
    c.close();
  });

  it("acknowledges nothing of a batch whose fsync fails", async () => {
    const { d, held, fsync } = walDb();
    const actions: string[] = [];
    const c = new GroupCommitter(d, undefined, undefined, { fsync });
    const done = c.submit(() => ({ ...insert(d, 1)(), after: () => actions.push("after") }));
    await settled(done);
    held[0]!.done(Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" }));
    await expect(done).rejects.toMatchObject({ code: "STET_STORAGE_SYNC_FAILED", status: 503 });
    expect(actions).toEqual([]);
    const next = c.submit(insert(d, 2)); // and goes on once the disk works
    await settled(next);
    held[1]!.done(null);
    await expect(next).resolves.toBe(2);
    c.close();
  });

  it("close() makes pending commits durable itself and answers them", async () => {
    const { d, held, fsync } = walDb();
    const c = new GroupCommitter(d, undefined, undefined, { fsync });
    const syncing = c.submit(insert(d, 1));
    await settled(syncing);
    const queued = c.submit(insert(d, 2));
    c.close();
    await expect(Promise.all([syncing, queued])).resolves.toEqual([1, 2]);
    held[0]!.done(null); // a late callback changes nothing
    expect(c.syncCount).toBe(1);
    d.close();
  });
});
