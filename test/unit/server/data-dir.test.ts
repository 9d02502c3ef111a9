import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONFIG_ERROR_CODES, DataDirConflictError, DataDirError } from "../../../server/config-errors.js";
import { checkDataDir, openDataDir } from "../../../server/data-dir.js";
import { wipeDataDir } from "../../../server/wipe-data-dir.js";

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "stet-data-dir-"));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

describe("openDataDir", () => {
  it("creates the folder and writes stet.json with the default partition count", () => {
    const dir = path.join(root, "nested", "data");
    const opened = openDataDir(dir, {});
    expect(opened.created).toBe(true);
    expect(opened.dir).toBe(dir);
    expect(opened.dbFile).toBe(path.join(dir, "stet.db"));
    expect(opened.settings.partitions).toBe(8);
    const saved = JSON.parse(fs.readFileSync(path.join(dir, "stet.json"), "utf8"));
    expect(saved).toEqual(opened.settings);
    expect(saved.formatVersion).toBe(1);
    expect(typeof saved.nodeId).toBe("string");
    expect(Number.isNaN(Date.parse(saved.createdAt))).toBe(false);
    // Only stet.json: no temp file left behind by the atomic write.
    expect(fs.readdirSync(dir)).toEqual(["stet.json"]);
  });

  it("creates with the requested partition count in an existing empty folder", () => {
    const opened = openDataDir(root, { partitions: 3 });
    expect(opened).toMatchObject({ created: true, settings: { partitions: 3 } });
  });

  it("resumes an existing folder with its saved settings", () => {
    const first = openDataDir(root, { partitions: 4 });
    const again = openDataDir(root, {});
    expect(again.created).toBe(false);
    expect(again.settings).toEqual(first.settings);
    expect(openDataDir(root, { partitions: 4 }).settings.nodeId).toBe(first.settings.nodeId);
  });

  it("refuses conflicting partitions, naming both values, and leaves stet.json byte-identical", () => {
    openDataDir(root, {});
    const file = path.join(root, "stet.json");
    const before = fs.readFileSync(file);
    const mtime = fs.statSync(file).mtimeMs;
    const err = thrown(() => openDataDir(root, { partitions: 4 }));
    expect(err).toBeInstanceOf(DataDirConflictError);
    expect((err as DataDirConflictError).code).toBe("STET_DATA_DIR_CONFLICT");
    expect((err as Error).message).toContain("was created with 8 partitions");
    expect((err as Error).message).toContain("--partitions 4 conflicts");
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
    expect(fs.readdirSync(root)).toEqual(["stet.json"]);
  });

  it("rejects a folder written by a newer stet", () => {
    fs.writeFileSync(
      path.join(root, "stet.json"),
      JSON.stringify({ formatVersion: 2, partitions: 8, createdAt: new Date().toISOString(), nodeId: "n" }),
    );
    const err = thrown(() => openDataDir(root, {}));
    expect(err).toBeInstanceOf(DataDirError);
    expect((err as DataDirError).code).toBe(CONFIG_ERROR_CODES.dataDirUnsupportedFormat);
    expect((err as Error).message).toMatch(/format version 2.*newer stet/);
  });

  it.each([
    ["not JSON", "{"],
    ["an array", "[]"],
    ["a bad partition count", JSON.stringify({ formatVersion: 1, partitions: 0, createdAt: "2024-01-01", nodeId: "n" })],
    ["a missing nodeId", JSON.stringify({ formatVersion: 1, partitions: 8, createdAt: "2024-01-01" })],
  ])("rejects a stet.json that is %s", (_what, content) => {
    fs.writeFileSync(path.join(root, "stet.json"), content);
    expect(thrown(() => openDataDir(root, {}))).toMatchObject({ code: CONFIG_ERROR_CODES.dataDirInvalid });
  });

  it("refuses a non-empty folder that is not a stet data folder, and changes nothing", () => {
    fs.writeFileSync(path.join(root, "notes.txt"), "mine");
    const err = thrown(() => openDataDir(root, {}));
    expect(err).toMatchObject({ code: CONFIG_ERROR_CODES.dataDirForeign });
    expect(fs.readdirSync(root)).toEqual(["notes.txt"]);
  });

  it("refuses a folder holding a database but no stet.json (it never adopts one)", () => {
    fs.writeFileSync(path.join(root, "stet.db"), "");
    expect(thrown(() => openDataDir(root, {}))).toMatchObject({ code: CONFIG_ERROR_CODES.dataDirForeign });
  });

  it("treats lost+found and leftovers of an interrupted creation as an empty folder", () => {
    fs.mkdirSync(path.join(root, "lost+found"));
    fs.writeFileSync(path.join(root, "stet.json.tmp-1-abcd"), "{");
    expect(openDataDir(root, {}).created).toBe(true);
    expect(fs.readdirSync(root).sort()).toEqual(["lost+found", "stet.json"]);
  });

  it("refuses a path that is a file", () => {
    const file = path.join(root, "file");
    fs.writeFileSync(file, "");
    expect(thrown(() => openDataDir(file, {}))).toMatchObject({ code: CONFIG_ERROR_CODES.dataDirInvalid });
  });

  it("rejects an out-of-range requested partition count", () => {
    expect(thrown(() => openDataDir(root, { partitions: 0 }))).toMatchObject({ code: "STET_CONFIG_INVALID" });
    expect(fs.readdirSync(root)).toEqual([]);
  });
});

describe("checkDataDir", () => {
  it("validates without creating anything", () => {
    const dir = path.join(root, "new");
    expect(checkDataDir(dir, { partitions: 2 })).toBeUndefined();
    expect(fs.existsSync(dir)).toBe(false);
    openDataDir(dir, { partitions: 2 });
    expect(checkDataDir(dir, {})?.partitions).toBe(2);
    expect(thrown(() => checkDataDir(dir, { partitions: 3 }))).toBeInstanceOf(DataDirConflictError);
  });
});

describe("wipeDataDir", () => {
  it("removes stet's files and then the empty folder", () => {
    const dir = path.join(root, "data");
    openDataDir(dir, {});
    for (const name of ["stet.db", "stet.db-wal", "stet.db-shm"]) fs.writeFileSync(path.join(dir, name), "x");
    fs.mkdirSync(path.join(dir, "queue-spill", "p0"), { recursive: true });
    fs.writeFileSync(path.join(dir, "queue-spill", "p0", "segment-1"), "x");
    const result = wipeDataDir(dir);
    expect(result.existed).toBe(true);
    expect(result.removedDir).toBe(true);
    // Taking the database's lock first lets SQLite tidy its own companions (here it drops the WAL that does
    // not belong to the file); whatever is left goes, stet.db first and stet.json last.
    const removed = result.removed.map((p) => path.basename(p));
    expect(removed[0]).toBe("stet.db");
    expect(removed.at(-1)).toBe("stet.json");
    expect(removed).toContain("queue-spill");
    expect(new Set(removed).size).toBe(removed.length);
    for (const name of removed) expect(["stet.db", "stet.db-wal", "stet.db-shm", "stet.db-journal", "queue-spill", "stet.lock", "stet.json"]).toContain(name);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it("keeps files that are not stet's, and the folder holding them", () => {
    openDataDir(root, {});
    fs.writeFileSync(path.join(root, "stet.db"), "x");
    fs.writeFileSync(path.join(root, "backup.tar"), "mine");
    const result = wipeDataDir(root);
    expect(result.removedDir).toBe(false);
    expect(fs.readdirSync(root)).toEqual(["backup.tar"]);
  });

  it("does not follow a symlinked queue-spill folder", () => {
    const outside = path.join(root, "outside");
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, "precious"), "x");
    const dir = path.join(root, "data");
    openDataDir(dir, {});
    fs.symlinkSync(outside, path.join(dir, "queue-spill"));
    wipeDataDir(dir);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readdirSync(outside)).toEqual(["precious"]);
  });

  it("refuses a folder that is not a stet data folder and deletes nothing", () => {
    fs.writeFileSync(path.join(root, "stet.db"), "not ours to judge");
    fs.writeFileSync(path.join(root, "other"), "x");
    const err = thrown(() => wipeDataDir(root));
    expect(err).toBeInstanceOf(DataDirError);
    expect(err).toMatchObject({ code: CONFIG_ERROR_CODES.dataDirForeign });
    expect(fs.readdirSync(root).sort()).toEqual(["other", "stet.db"]);
  });

  it("refuses an empty folder without stet.json", () => {
    expect(thrown(() => wipeDataDir(root))).toMatchObject({ code: CONFIG_ERROR_CODES.dataDirForeign });
    expect(fs.existsSync(root)).toBe(true);
  });

  it("reports a missing folder as nothing to do", () => {
    expect(wipeDataDir(path.join(root, "absent"))).toMatchObject({ existed: false, removed: [], removedDir: false });
  });

  it("a wiped folder can be created afresh", () => {
    const dir = path.join(root, "data");
    const first = openDataDir(dir, { partitions: 2 });
    wipeDataDir(dir);
    const second = openDataDir(dir, { partitions: 5 });
    expect(second.created).toBe(true);
    expect(second.settings.nodeId).not.toBe(first.settings.nodeId);
  });
});
