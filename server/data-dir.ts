import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CONFIG_ERROR_CODES, ConfigError, DataDirConflictError, DataDirError } from "./config-errors.js";
import { DEFAULT_PARTITIONS, MAX_PARTITIONS, MIN_PARTITIONS } from "./config.js";

/**
 * The data folder. `stet.json` marks a folder as stet's and holds the settings fixed at creation;
 * creating, resuming and wiping (server/wipe-data-dir.ts) are distinct acts, and persisted settings win
 * over flags.
 *
 * The functions are synchronous: they run once, before anything else starts, and the SQLite driver
 * that opens `stet.db` next is synchronous too.
 */

export const DATA_FORMAT_VERSION = 1;
export const SETTINGS_FILE = "stet.json";
export const DB_FILE = "stet.db";
export const SPILL_DIR = "queue-spill";
/** Held (SQLite's exclusive lock) by the one stet, or the one wipe, that uses the folder. */
export const LOCK_FILE = "stet.lock";
/** SQLite's companions of stet.db (WAL mode, plus the rollback journal should WAL ever be off). */
export const DB_COMPANIONS = [`${DB_FILE}-wal`, `${DB_FILE}-shm`, `${DB_FILE}-journal`];
export const TEMP_PREFIX = `${SETTINGS_FILE}.tmp-`;
/** A fresh ext4 volume (a Docker or Kubernetes mount) holds this; it does not make the folder foreign. */
const IGNORED_IN_NEW_FOLDER = new Set(["lost+found"]);

export interface DataDirSettings {
  readonly formatVersion: number;
  readonly partitions: number;
  /** ISO 8601 time of creation. */
  readonly createdAt: string;
  /** Random id of the node that created the folder. */
  readonly nodeId: string;
}

export interface OpenedDataDir {
  /** Absolute path of the folder. */
  readonly dir: string;
  readonly settings: DataDirSettings;
  /** True when this call created stet.json; false when it resumed an existing folder. */
  readonly created: boolean;
  /** Absolute path of the SQLite file (opened by the storage layer). */
  readonly dbFile: string;
  /** Absolute path of the folder the input queue spills segments to (created on demand by its owner). */
  readonly spillDir: string;
  /** Absolute path of the folder's lock file. */
  readonly lockFile: string;
}

export interface RequestedSettings {
  /** Partition count asked for; undefined = the saved count, or DEFAULT_PARTITIONS when creating. */
  readonly partitions?: number | undefined;
}

/**
 * Creates the data folder (writing stet.json atomically) or resumes it (loading and validating
 * stet.json). Throws, changing nothing on disk, when the requested settings conflict with the saved
 * ones, when stet.json comes from a newer stet, or when the folder holds other files but no stet.json.
 */
export function openDataDir(dir: string, requested: RequestedSettings = {}): OpenedDataDir {
  const abs = path.resolve(dir);
  let settings = checkDataDir(dir, requested);
  let created = false;
  if (settings === undefined) {
    fs.mkdirSync(abs, { recursive: true });
    removeStaleTemps(abs);
    settings = Object.freeze({
      formatVersion: DATA_FORMAT_VERSION,
      partitions: requested.partitions ?? DEFAULT_PARTITIONS,
      createdAt: new Date().toISOString(),
      nodeId: randomUUID(),
    });
    writeFileAtomic(abs, SETTINGS_FILE, `${JSON.stringify(settings, null, 2)}\n`);
    created = true;
  }
  return Object.freeze({
    dir: abs,
    settings,
    created,
    dbFile: path.join(abs, DB_FILE),
    spillDir: path.join(abs, SPILL_DIR),
    lockFile: path.join(abs, LOCK_FILE),
  });
}

/**
 * The read-only half of openDataDir: validates the folder against the requested settings and returns
 * the saved settings, or undefined when opening would create the folder. The CLI calls it before
 * anything binds a port, so a conflict is reported before any side effect.
 */
export function checkDataDir(dir: string, requested: RequestedSettings = {}): DataDirSettings | undefined {
  const abs = path.resolve(dir);
  if (requested.partitions !== undefined) checkPartitions(requested.partitions);
  const kind = inspectDataDir(abs);
  if (kind === "missing" || kind === "empty") return undefined;
  if (kind === "foreign") {
    throw new DataDirError(
      CONFIG_ERROR_CODES.dataDirForeign,
      `${abs} is not empty and is not a stet data folder (it has no ${SETTINGS_FILE}); ` +
        "stet will not adopt it: choose an empty or new folder",
    );
  }
  const settings = readSettings(abs);
  if (requested.partitions !== undefined && requested.partitions !== settings.partitions) {
    throw new DataDirConflictError(
      `data folder ${dir} was created with ${settings.partitions} partitions; --partitions ${requested.partitions} ` +
        "conflicts with it: the count cannot change once a folder exists. Leave out --partitions to resume " +
        `this folder, use a new --data-dir for ${requested.partitions} partitions, or delete this folder's data ` +
        `first with 'stet wipe --data-dir ${dir}'`,
    );
  }
  return settings;
}

/**
 * What a path holds: nothing yet (`missing`), an empty folder (`empty`, counting leftovers of an
 * interrupted creation and `lost+found` as empty), a stet data folder (`stet`) or anything else (`foreign`).
 */
export function inspectDataDir(dir: string): "missing" | "empty" | "stet" | "foreign" {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    if (isCode(err, "ENOENT")) return "missing";
    throw new DataDirError(CONFIG_ERROR_CODES.dataDirInvalid, `cannot read data folder ${dir}: ${describe(err)}`, {
      cause: err,
    });
  }
  if (!stat.isDirectory()) {
    throw new DataDirError(CONFIG_ERROR_CODES.dataDirInvalid, `data folder ${dir} exists but is not a folder`);
  }
  const entries = fs.readdirSync(dir);
  if (entries.includes(SETTINGS_FILE)) return "stet";
  const others = entries.filter((name) => !name.startsWith(TEMP_PREFIX) && !IGNORED_IN_NEW_FOLDER.has(name));
  return others.length === 0 ? "empty" : "foreign";
}

function readSettings(dir: string): DataDirSettings {
  const file = path.join(dir, SETTINGS_FILE);
  const invalid = (why: string, cause?: unknown) =>
    new DataDirError(CONFIG_ERROR_CODES.dataDirInvalid, `${file} is invalid: ${why}`, { cause });
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw invalid(describe(err), err);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalid("not a JSON object");
  const record = parsed as Record<string, unknown>;
  const { formatVersion, partitions, createdAt, nodeId } = record;
  if (!Number.isInteger(formatVersion) || (formatVersion as number) < 1) {
    throw invalid(`formatVersion ${JSON.stringify(formatVersion)} is not a positive integer`);
  }
  // Checked before the other fields: a newer format may have changed them.
  if ((formatVersion as number) > DATA_FORMAT_VERSION) {
    throw new DataDirError(
      CONFIG_ERROR_CODES.dataDirUnsupportedFormat,
      `data folder ${dir} has format version ${formatVersion as number}, written by a newer stet; ` +
        `this stet reads format version ${DATA_FORMAT_VERSION}: upgrade stet to use this folder`,
    );
  }
  if (!Number.isInteger(partitions) || (partitions as number) < MIN_PARTITIONS || (partitions as number) > MAX_PARTITIONS) {
    throw invalid(`partitions ${JSON.stringify(partitions)} is not an integer from ${MIN_PARTITIONS} to ${MAX_PARTITIONS}`);
  }
  if (typeof createdAt !== "string" || Number.isNaN(Date.parse(createdAt))) {
    throw invalid(`createdAt ${JSON.stringify(createdAt)} is not a date`);
  }
  if (typeof nodeId !== "string" || nodeId === "") throw invalid(`nodeId ${JSON.stringify(nodeId)} is not a string`);
  return Object.freeze({
    formatVersion: formatVersion as number,
    partitions: partitions as number,
    createdAt,
    nodeId,
  });
}

function checkPartitions(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < MIN_PARTITIONS || partitions > MAX_PARTITIONS) {
    throw new ConfigError([
      {
        source: "--partitions",
        value: String(partitions),
        message: `must be an integer from ${MIN_PARTITIONS} to ${MAX_PARTITIONS}`,
      },
    ]);
  }
}

/** Write a temp file, fsync it, rename it over the target, fsync the folder: readers see all or nothing. */
function writeFileAtomic(dir: string, name: string, content: string): void {
  const target = path.join(dir, name);
  const temp = path.join(dir, `${name}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
  const fd = fs.openSync(temp, "wx", 0o644);
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

/** Makes the rename itself durable (POSIX); Windows cannot open folders, and needs no such step. */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch (err) {
    if (!isCode(err, "EISDIR", "EPERM", "EINVAL", "EACCES")) throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Leftovers of a creation interrupted before its rename; they never held a committed stet.json. */
function removeStaleTemps(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(TEMP_PREFIX)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

export function isCode(err: unknown, ...codes: string[]): boolean {
  return typeof err === "object" && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? "");
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
