import fs from "node:fs";
import path from "node:path";
import { DatabaseLockedError, holdDatabase } from "../sqlite/index.js";
import { CONFIG_ERROR_CODES, DataDirError, DataDirInUseError } from "./config-errors.js";
import { lockDataDir } from "./data-dir-lock.js";
import { DB_COMPANIONS, DB_FILE, LOCK_FILE, SETTINGS_FILE, SPILL_DIR, TEMP_PREFIX, inspectDataDir, isCode } from "./data-dir.js";
import { OWNER_FILE, describeOwner } from "./data-dir-owner.js";

/**
 * `stet wipe`: deletes a data folder's stet files. It is loaded by the CLI only for that command (it needs
 * the native SQLite driver to take the folder's lock).
 */

export interface WipeResult {
  /** Absolute path of the folder. */
  readonly dir: string;
  /** False when there was no folder at all (nothing to do). */
  readonly existed: boolean;
  /** Absolute paths removed, in order. */
  readonly removed: readonly string[];
  /** True when the folder itself was removed (it held nothing else). */
  readonly removedDir: boolean;
}

/**
 * Whether wipeDataDir would act: "stet", or "missing" (nothing to do); throws for any other folder and
 * for a folder a running stet holds, so the CLI refuses before it asks for confirmation.
 */
export function checkWipeable(dir: string): "missing" | "stet" {
  const abs = path.resolve(dir);
  const kind = inspectWipeable(abs);
  // A probe: it must not leave a lock file behind in a folder the user may decide to keep.
  if (kind === "stet") holdDataDir(abs, { probe: true }).release();
  return kind;
}

function inspectWipeable(abs: string): "missing" | "stet" {
  const kind = inspectDataDir(abs);
  if (kind === "missing" || kind === "stet") return kind;
  throw new DataDirError(
    CONFIG_ERROR_CODES.dataDirForeign,
    `${abs} does not look like a stet data folder (it has no ${SETTINGS_FILE}); refusing to delete anything in it`,
  );
}

/**
 * Removes stet's files from a data folder, then the folder if nothing else is left. Refuses a folder
 * without stet.json, so a mistyped path can never delete unrelated files, and a folder a running stet
 * holds (DataDirInUseError, naming the process): its lock is taken first and kept until every file is
 * gone, so no stet can start on the folder halfway through (the lock file is unlinked while held, just
 * before stet.json). stet.json goes last: if the wipe is
 * interrupted, the folder still reads as stet's and the wipe can simply be repeated.
 */
export function wipeDataDir(dir: string): WipeResult {
  const abs = path.resolve(dir);
  if (inspectWipeable(abs) === "missing") return Object.freeze({ dir: abs, existed: false, removed: [], removedDir: false });
  const hold = holdDataDir(abs);
  const removed: string[] = [];
  try {
    const remove = (name: string, recursive = false): void => {
      const target = path.join(abs, name);
      if (!fs.existsSync(target) && !isSymlink(target)) return;
      // rmSync never follows a symlink: a link named queue-spill is removed, not its target.
      fs.rmSync(target, { recursive, force: true });
      removed.push(target);
    };
    for (const name of fs.readdirSync(abs)) if (name.startsWith(TEMP_PREFIX)) remove(name);
    for (const name of [DB_FILE, ...DB_COMPANIONS]) remove(name);
    remove(SPILL_DIR, true);
    remove(OWNER_FILE);
    remove(LOCK_FILE);
    remove(SETTINGS_FILE);
  } finally {
    // The files are unlinked already: closing checkpoints into them and deletes nothing by name.
    hold.release();
  }

  let removedDir = false;
  try {
    fs.rmdirSync(abs);
    removedDir = true;
  } catch (err) {
    // Other files live here (or the path is a symlink): they are not ours, so the folder stays.
    if (!isCode(err, "ENOTEMPTY", "EEXIST", "ENOTDIR", "EBUSY")) throw err;
  }
  return Object.freeze({ dir: abs, existed: true, removed: Object.freeze(removed), removedDir });
}

/**
 * Takes the folder's lock file, then the database's own exclusive lock (what a stet of an earlier version
 * held instead of the lock file), or fails naming who holds the folder. Released in reverse order.
 */
function holdDataDir(abs: string, options: { probe?: boolean } = {}): { release(): void } {
  const folder = lockDataDir(abs, "wipe", options);
  try {
    // Only once the lock file is ours: no stet of this version has the database open, so this blocks none.
    const database = holdDatabase(path.join(abs, DB_FILE));
    return {
      release: () => {
        database.release();
        folder.release();
      },
    };
  } catch (error) {
    folder.release();
    if (error instanceof DatabaseLockedError) throw new DataDirInUseError(abs, describeOwner(abs), "wipe", error);
    throw error;
  }
}

function isSymlink(target: string): boolean {
  try {
    return fs.lstatSync(target).isSymbolicLink();
  } catch {
    return false;
  }
}
