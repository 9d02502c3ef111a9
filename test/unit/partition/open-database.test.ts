import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, PAGE_CACHE_KIB } from "../../../partition/store/open-database.js";

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

  it("refuses a second opener of the same file with a coded error", () => {
    const f = file();
    const first = openDatabase(f);
    expect(() => openDatabase(f)).toThrow(expect.objectContaining({ code: "STET_DATABASE_LOCKED" }));
    first.close();
  });
});
