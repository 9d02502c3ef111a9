import { describe, expect, it } from "vitest";
import { CommitterClosedError, GroupCommitter } from "../../../partition/group-commit.js";
import type { StorageBatch } from "../../../partition/index.js";
import { openSqliteStorage, type SqlitePartitionStore } from "../../../sqlite/index.js";

/** A partition store on a fresh in-memory database, with one more table `t` for the tests' writes. */
type Db = SqlitePartitionStore["db"];
const stores = new WeakMap<Db, SqlitePartitionStore>();
function db(): Db {
  const store = openSqliteStorage(":memory:").partitions;
  store.db.exec("CREATE TABLE t (v INTEGER PRIMARY KEY)");
  stores.set(store.db, store);
  return store.db;
}
const committer = (d: Db, onAfterError?: (error: Error) => void) => new GroupCommitter(stores.get(d)!, onAfterError);
const insert = (d: Db, v: number) => () => {
  d.prepare("INSERT INTO t (v) VALUES (?)").run(v);
  return { result: v };
};
const rows = (d: Db) => (d.prepare("SELECT v FROM t ORDER BY v").all() as { v: number }[]).map((r) => r.v);

describe("group commit", () => {
  it("commits everything submitted in one tick as one transaction, in order", async () => {
    const d = db();
    const c = committer(d);
    const results = await Promise.all([1, 2, 3].map((v) => c.submit(insert(d, v))));
    expect(results).toEqual([1, 2, 3]);
    expect(c.batchCount).toBe(1);
    expect(rows(d)).toEqual([1, 2, 3]);
    await c.submit(insert(d, 4));
    expect(c.batchCount).toBe(2);
  });

  it("rolls back only the command that throws", async () => {
    const d = db();
    const c = committer(d);
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
    const c = committer(d, (err) => seen.push(`error: ${err.message}`));
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
    const c = committer(d);
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
    const c = committer(d);
    const pending = c.submit(insert(d, 1));
    const closed = c.close();
    await expect(pending).resolves.toBe(1);
    await closed;
    await expect(c.submit(insert(d, 2))).rejects.toBeInstanceOf(CommitterClosedError);
  });

  it("keeps one batch in flight: what arrives meanwhile waits, and commits in a batch of its own", async () => {
    // A store whose commits take as long as the test says, as a network database's do.
    const commits: Array<{ readonly size: number; readonly done: () => void }> = [];
    let size = 0;
    const batch: StorageBatch = {
      command: (_fence, work) => (size++, work()),
      commit: () => new Promise<void>((resolve) => commits.push({ size, done: resolve })),
    };
    const c = new GroupCommitter({ begin: () => ((size = 0), batch) });
    const first = [c.submit(() => ({ result: "a" })), c.submit(() => ({ result: "b" }))];
    await new Promise((r) => setImmediate(r));
    expect(commits.map((x) => x.size)).toEqual([2]);
    let settled = false;
    const later = c.submit(() => ({ result: "c" })).then((v) => ((settled = true), v));
    await new Promise((r) => setTimeout(r, 10));
    // The second batch has not started: the first is not durable yet.
    expect(commits.length).toBe(1);
    commits[0]!.done();
    expect(await Promise.all(first)).toEqual(["a", "b"]);
    await new Promise((r) => setTimeout(r, 10));
    expect(commits.map((x) => x.size)).toEqual([2, 1]);
    expect(settled).toBe(false);
    commits[1]!.done();
    expect(await later).toBe("c");
    expect(c.batchCount).toBe(2);
  });
});
