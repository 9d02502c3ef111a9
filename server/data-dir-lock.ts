import fs from "node:fs";
import path from "node:path";
import { DatabaseLockedError, lockFolder } from "../sqlite/index.js";
import { DataDirInUseError } from "./config-errors.js";
import { LOCK_FILE } from "./data-dir.js";
import { describeOwner } from "./data-dir-owner.js";

/**
 * Takes a data folder's lock file (one stet, or one wipe, at a time), or fails with DataDirInUseError
 * naming the process that holds it. A `probe` takes a folder without a lock file to be free: a running
 * stet always has one, and a probe must not add one to a folder it then leaves alone.
 */
export function lockDataDir(dir: string, act: "start" | "wipe", options: { probe?: boolean } = {}): { release(): void } {
  const lockFile = path.join(dir, LOCK_FILE);
  if (options.probe === true && !fs.existsSync(lockFile)) return { release: () => undefined };
  try {
    return lockFolder(lockFile);
  } catch (error) {
    if (error instanceof DatabaseLockedError) throw new DataDirInUseError(dir, describeOwner(dir), act, error);
    throw error;
  }
}
