import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { CommitterClosedError, GroupCommitter } from "../../../partition/group-commit.js";

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
