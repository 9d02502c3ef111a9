import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Who holds a data folder. The lock itself is SQLite's exclusive lock on stet.lock, which the kernel
 * releases however the process ends; this file only lets a refused `stet start` or `stet wipe` say which
 * process holds it. It is written once the lock is taken and removed at a clean stop; a stale one (after
 * `kill -9`) is harmless, because it is read only when the lock is held, and its pid is checked.
 */

export const OWNER_FILE = "stet.owner.json";

export interface DataDirOwner {
  readonly pid: number;
  readonly hostname: string;
  /** ISO 8601 time the holder started. */
  readonly startedAt: string;
  readonly ingressUrl: string;
  readonly adminUrl: string;
}

/** Records this process as the folder's holder; returns the removal to run at a clean stop. */
export function recordOwner(dir: string, urls: { ingressUrl: string; adminUrl: string }): () => void {
  const file = path.join(dir, OWNER_FILE);
  const owner: DataDirOwner = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString(), ...urls };
  // Not fsynced: it describes the live process, and means nothing after a crash.
  fs.writeFileSync(file, `${JSON.stringify(owner, null, 2)}\n`);
  return () => fs.rmSync(file, { force: true });
}

/** Names the holder of a folder whose lock is taken, from its record: "a running stet (pid 41 on …)". */
export function describeOwner(dir: string): string {
  let owner: Partial<DataDirOwner>;
  try {
    owner = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8")) as Partial<DataDirOwner>;
  } catch {
    return "another process (it left no record of itself: a stet starting or a wipe under way)";
  }
  const where = owner.hostname === os.hostname() ? "" : ` on ${String(owner.hostname)}`;
  const since = typeof owner.startedAt === "string" ? `, started ${owner.startedAt}` : "";
  const admin = typeof owner.adminUrl === "string" ? `, admin API ${owner.adminUrl}` : "";
  if (typeof owner.pid === "number" && where === "" && !isRunning(owner.pid)) {
    return `another process (the last recorded holder, pid ${owner.pid}, is no longer running)`;
  }
  return `a running stet (pid ${String(owner.pid)}${where}${since}${admin})`;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
