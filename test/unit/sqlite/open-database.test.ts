import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import BetterSqlite3 from "better-sqlite3";
import { holdDatabase, lockFolder, openDatabase, PAGE_CACHE_KIB } from "../../../sqlite/store/open-database.js";

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function file(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "stet-open-db-"));
  folders.push(dir);
  return path.join(dir, "stet.db");
}

describe("openDatabase", () => {
  it("opens in WAL mode, syncing every commit, with a bounded page cache", () => {
    const db = openDatabase(file());
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("synchronous", { simple: true })).toBe(2); // FULL
    // Negative: a size in KiB. SQLite's build default here would be 16 MiB.
    expect(db.pragma("cache_size", { simple: true })).toBe(-PAGE_CACHE_KIB);
    expect(PAGE_CACHE_KIB).toBeLessThan(16_000);
    db.close();
  });

  it("lets a read-only connection read beside the writer (the query side)", () => {
    const f = file();
    const db = openDatabase(f);
    db.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)");
    const reader = new BetterSqlite3(f, { readonly: true });
    expect(reader.prepare("SELECT x FROM t").all()).toEqual([{ x: 1 }]);
    // The reader keeps its snapshot while the writer goes on committing.
    reader.exec("BEGIN");
    expect(reader.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 1 });
    db.exec("INSERT INTO t VALUES (2)");
    expect(reader.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 1 });
    reader.exec("COMMIT");
    expect(reader.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 2 });
    reader.close();
    db.close();
  });

  it("refuses a database a stet of an earlier version holds exclusively", () => {
    const f = file();
    const old = holdDatabase(openAndClose(f));
    expect(() => openDatabase(f)).toThrow(expect.objectContaining({ code: "STET_DATABASE_LOCKED" }));
    old.release();
    openDatabase(f).close();
  });
});

describe("lockFolder", () => {
  it("is taken by one process at a time and free again once released", () => {
    const lockFile = path.join(path.dirname(file()), "stet.lock");
    const first = lockFolder(lockFile);
    expect(() => lockFolder(lockFile)).toThrow(expect.objectContaining({ code: "STET_DATABASE_LOCKED" }));
    first.release();
    lockFolder(lockFile).release();
  });
});

function openAndClose(f: string): string {
  openDatabase(f).close();
  return f;
}
