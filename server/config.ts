import path from "node:path";
import { ConfigError, type ConfigProblem } from "./config-errors.js";

export type LogLevel = "silent" | "error" | "warn" | "info" | "debug";
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(["silent", "error", "warn", "info", "debug"]);

/** Partition count bounds; the count is fixed when a data folder is created (see data-dir.ts). */
export const MIN_PARTITIONS = 1;
export const MAX_PARTITIONS = 1024;
export const DEFAULT_PARTITIONS = 8;

/** Node clamps timers longer than 2^31-1 ms to 1 ms, so a longer deadline would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** Fully defaulted, validated and frozen configuration of `stet start`. */
export interface StetConfig {
  /** Absolute path of the data folder (stet.json, stet.db, queue-spill/). Default `./stet-data`. */
  readonly dataDir: string;
  /** Ingress HTTP port. Default 8080 (Restate's). 0 = a random free port. */
  readonly ingressPort: number;
  /** Admin HTTP port. Default 9070 (Restate's). 0 = a random free port. */
  readonly adminPort: number;
  /** Interface both ports bind to. Default `0.0.0.0` (all IPv4 interfaces), as Restate does. */
  readonly host: string;
  /** Partitions requested; undefined = the saved value, or DEFAULT_PARTITIONS when creating. */
  readonly partitions: number | undefined;
  /** Deadline for the whole graceful shutdown, in milliseconds. Default 30 000. */
  readonly shutdownTimeoutMs: number;
  /** Default `info`. */
  readonly logLevel: LogLevel;
  /**
   * How long a partition's leadership lease lasts unless renewed (every third of it), in ms: a node that
   * dies or stops responding loses its partitions to another node after at most this, plus one retry.
   * Default 10 000.
   */
  readonly leaseTtlMs: number;
  /**
   * Where partition state, leases and the registry live: a `postgres://` URL makes this node one of a
   * cluster sharing that database; undefined = SQLite in the data folder (the default).
   */
  readonly store: string | undefined;
  /**
   * The host other nodes of a cluster reach this node's ports at (announced with the bound ports).
   * Undefined = the bind host when it names one address, else this machine's hostname (advertisedHost()).
   */
  readonly advertisedHost?: string;
}

/** Configuration of `stet wipe`. */
export interface WipeConfig {
  readonly dataDir: string;
}

/** One setting: its commander key, flag, env var and help text. The CLI builds its options from this. */
export interface SettingSpec {
  readonly key: string;
  readonly flag: string;
  readonly env: string;
  readonly valueName: string;
  readonly description: string;
}

const setting = (key: string, flag: string, env: string, valueName: string, description: string): SettingSpec =>
  Object.freeze({ key, flag, env, valueName, description });

export const SETTINGS = Object.freeze({
  dataDir: setting("dataDir", "--data-dir", "STET_DATA_DIR", "path", "data folder (default ./stet-data)"),
  ingressPort: setting("ingressPort", "--ingress-port", "STET_INGRESS_PORT", "port", "ingress HTTP port, 0 = random (default 8080)"),
  adminPort: setting("adminPort", "--admin-port", "STET_ADMIN_PORT", "port", "admin HTTP port, 0 = random (default 9070)"),
  host: setting("host", "--host", "STET_HOST", "address", "interface to bind (default 0.0.0.0, all IPv4 interfaces)"),
  partitions: setting(
    "partitions",
    "--partitions",
    "STET_PARTITIONS",
    "count",
    `partitions ${MIN_PARTITIONS}-${MAX_PARTITIONS}, fixed when the data folder is created (default ${DEFAULT_PARTITIONS}, or the saved count)`,
  ),
  shutdownTimeout: setting(
    "shutdownTimeout",
    "--shutdown-timeout",
    "STET_SHUTDOWN_TIMEOUT",
    "duration",
    'deadline for graceful shutdown: "500ms", "10s", "2m" or milliseconds (default 30s)',
  ),
  logLevel: setting("logLevel", "--log-level", "STET_LOG_LEVEL", "level", `${LOG_LEVELS.join(" | ")} (default info)`),
  leaseTtl: setting(
    "leaseTtl",
    "--lease-ttl",
    "STET_LEASE_TTL",
    "duration",
    'how long a partition lease lasts unless renewed; a dead node\'s partitions move after at most this (default 10s)',
  ),
  advertisedHost: setting(
    "advertisedHost",
    "--advertised-host",
    "STET_ADVERTISED_HOST",
    "host",
    "hostname or IP other cluster nodes reach this node at (default: --host unless 0.0.0.0 or ::, else this machine's hostname)",
  ),
  store: setting(
    "store",
    "--store",
    "STET_STORE",
    "url",
    "postgres://user:password@host:5432/database: run as a node of a cluster sharing that database (default: SQLite in the data folder)",
  ),
});

export const DEFAULTS = Object.freeze({
  dataDir: "./stet-data",
  ingressPort: 8080,
  adminPort: 9070,
  host: "0.0.0.0",
  shutdownTimeoutMs: 30_000,
  logLevel: "info" as LogLevel,
  leaseTtlMs: 10_000,
});

/** Lease length bounds: renewals every third must keep up on a busy machine; a takeover within minutes. */
const MIN_LEASE_TTL_MS = 300;
const MAX_LEASE_TTL_MS = 600_000;

export interface ParseOptions {
  /** Folder a relative data folder is resolved against. Default: process.cwd() at call time. */
  readonly cwd?: string;
}

/**
 * Resolves `stet start` configuration from commander flags and the environment: a flag wins over its
 * env var, which wins over the default. Every problem is collected and thrown as one ConfigError.
 * An empty env var counts as unset (compose files often declare `STET_X=` with no value).
 */
export function parseStartConfig(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  options: ParseOptions = {},
): StetConfig {
  const problems: ConfigProblem[] = [];
  const read = (spec: SettingSpec) => readRaw(flags, env, spec, problems);

  const dataDir = parseDataDir(read(SETTINGS.dataDir), options, problems);
  const ingress = read(SETTINGS.ingressPort);
  const admin = read(SETTINGS.adminPort);
  const ingressPort = ingress === undefined ? DEFAULTS.ingressPort : parsePort(ingress, problems);
  const adminPort = admin === undefined ? DEFAULTS.adminPort : parsePort(admin, problems);
  if (ingressPort !== undefined && adminPort !== undefined && ingressPort === adminPort && ingressPort !== 0) {
    problems.push({
      source: `${ingress?.source ?? `${SETTINGS.ingressPort.flag} (default)`} and ${admin?.source ?? `${SETTINGS.adminPort.flag} (default)`}`,
      value: undefined,
      message: `both are ${ingressPort}; the ingress and admin ports must differ (0 picks a random free port for each)`,
    });
  }
  const host = parseHost(read(SETTINGS.host), problems);
  const partitionsRaw = read(SETTINGS.partitions);
  const partitions = partitionsRaw === undefined ? undefined : parsePartitions(partitionsRaw, problems);
  const shutdownRaw = read(SETTINGS.shutdownTimeout);
  const shutdownTimeoutMs =
    shutdownRaw === undefined ? DEFAULTS.shutdownTimeoutMs : parseTimeout(shutdownRaw, problems);
  const logLevel = parseLogLevel(read(SETTINGS.logLevel), problems);
  const leaseRaw = read(SETTINGS.leaseTtl);
  const leaseTtlMs = leaseRaw === undefined ? DEFAULTS.leaseTtlMs : parseLeaseTtl(leaseRaw, problems);
  const storeRaw = read(SETTINGS.store);
  const store = storeRaw === undefined ? undefined : parseStore(storeRaw, problems);
  const advertisedRaw = read(SETTINGS.advertisedHost);
  const advertisedHost = advertisedRaw === undefined ? undefined : parseHost(advertisedRaw, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    dataDir: dataDir!,
    ingressPort: ingressPort!,
    adminPort: adminPort!,
    host: host!,
    partitions,
    shutdownTimeoutMs: shutdownTimeoutMs!,
    logLevel: logLevel!,
    leaseTtlMs: leaseTtlMs!,
    store,
    ...(advertisedHost === undefined ? {} : { advertisedHost }),
  });
}

/** Resolves `stet wipe` configuration: only the data folder, same precedence as `start`. */
export function parseWipeConfig(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  options: ParseOptions = {},
): WipeConfig {
  const problems: ConfigProblem[] = [];
  const dataDir = parseDataDir(readRaw(flags, env, SETTINGS.dataDir, problems), options, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ dataDir: dataDir! });
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/**
 * Parses "500ms", "10s", "2m", "1h" or a plain number of milliseconds into whole milliseconds.
 * Returns undefined when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const unit = (match[2] ?? "ms") as keyof typeof UNIT_MS;
  const ms = Math.round(amount * UNIT_MS[unit]);
  return Number.isFinite(ms) ? ms : undefined;
}

interface Raw {
  readonly value: string;
  readonly source: string;
}

function readRaw(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  spec: SettingSpec,
  problems: ConfigProblem[],
): Raw | undefined {
  const flag = flags[spec.key];
  if (flag !== undefined) {
    if (typeof flag === "number") return { value: String(flag), source: spec.flag };
    // An option given without a value (`--ingress-port` last, or before another option).
    if (flag === true || flag === null) {
      problems.push({ source: spec.flag, value: undefined, message: `is missing its ${spec.valueName}` });
      return undefined;
    }
    if (typeof flag !== "string") {
      problems.push({ source: spec.flag, value: undefined, message: `expects a ${spec.valueName}` });
      return undefined;
    }
    // commander hands the next argument to an option that needs a value, even another option:
    // `--data-dir --ingress-port 1` would otherwise silently use "--ingress-port" as the folder.
    if (/^--[a-z]/i.test(flag)) {
      problems.push({ source: spec.flag, value: flag, message: `is missing its ${spec.valueName} (got the option ${flag})` });
      return undefined;
    }
    return { value: flag, source: spec.flag };
  }
  const fromEnv = env[spec.env];
  if (fromEnv === undefined || fromEnv === "") return undefined;
  return { value: fromEnv, source: spec.env };
}

function parseDataDir(raw: Raw | undefined, options: ParseOptions, problems: ConfigProblem[]): string | undefined {
  const value = raw?.value ?? DEFAULTS.dataDir;
  if (value.trim() === "") {
    problems.push({ source: raw!.source, value, message: "must not be empty" });
    return undefined;
  }
  if (value.includes("\0")) {
    problems.push({ source: raw!.source, value, message: "must not contain a NUL character" });
    return undefined;
  }
  return path.resolve(options.cwd ?? process.cwd(), value);
}

function parsePort(raw: Raw, problems: ConfigProblem[]): number | undefined {
  const text = raw.value.trim();
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    problems.push({ ...raw, message: "must be an integer port from 0 to 65535 (0 = a random free port)" });
    return undefined;
  }
  return port;
}

// Hostnames, IPv4 and bare IPv6 addresses (with an optional %zone), which is what net.Server#listen takes.
/** The host other nodes reach this one at: the setting, else a bind host naming one address, else the hostname. */
export function advertisedHost(config: Pick<StetConfig, "host" | "advertisedHost">, hostname: () => string): string {
  if (config.advertisedHost !== undefined) return config.advertisedHost;
  return config.host === "0.0.0.0" || config.host === "::" ? hostname() : config.host;
}

const HOST = /^[A-Za-z0-9._:%-]+$/;

function parseHost(raw: Raw | undefined, problems: ConfigProblem[]): string | undefined {
  if (raw === undefined) return DEFAULTS.host;
  const host = raw.value.trim();
  if (!HOST.test(host)) {
    problems.push({
      ...raw,
      message: "must be a hostname or an IP address without brackets or port (e.g. 0.0.0.0, ::, localhost)",
    });
    return undefined;
  }
  return host;
}

function parsePartitions(raw: Raw, problems: ConfigProblem[]): number | undefined {
  const text = raw.value.trim();
  const count = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(count >= MIN_PARTITIONS && count <= MAX_PARTITIONS)) {
    problems.push({ ...raw, message: `must be an integer from ${MIN_PARTITIONS} to ${MAX_PARTITIONS}` });
    return undefined;
  }
  return count;
}

function parseTimeout(raw: Raw, problems: ConfigProblem[]): number | undefined {
  const ms = parseDuration(raw.value);
  if (ms === undefined) {
    problems.push({ ...raw, message: 'must be a duration like "500ms", "10s", "2m" or a number of milliseconds' });
    return undefined;
  }
  if (ms <= 0 || ms > MAX_TIMER_MS) {
    problems.push({ ...raw, message: `must be positive and at most ${MAX_TIMER_MS}ms (about 24.8 days)` });
    return undefined;
  }
  return ms;
}

function parseLogLevel(raw: Raw | undefined, problems: ConfigProblem[]): LogLevel | undefined {
  if (raw === undefined) return DEFAULTS.logLevel;
  const level = raw.value.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    problems.push({ ...raw, message: `must be one of ${LOG_LEVELS.join(", ")}` });
    return undefined;
  }
  return level as LogLevel;
}

/** A `postgres://` (or `postgresql://`) URL with a host; problems name it without its password. */
function parseStore(raw: Raw, problems: ConfigProblem[]): string | undefined {
  const text = raw.value.trim();
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "postgres:" && url.protocol !== "postgresql:") || url.hostname === "") {
    problems.push({
      source: raw.source,
      value: withoutPassword(text),
      message: "must be a PostgreSQL URL like postgres://user:password@host:5432/database",
    });
    return undefined;
  }
  return text;
}

function withoutPassword(text: string): string {
  return text.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}

function parseLeaseTtl(raw: Raw, problems: ConfigProblem[]): number | undefined {
  const ms = parseDuration(raw.value);
  if (ms === undefined || ms < MIN_LEASE_TTL_MS || ms > MAX_LEASE_TTL_MS) {
    problems.push({ ...raw, message: `must be a duration from ${MIN_LEASE_TTL_MS}ms to ${MAX_LEASE_TTL_MS / 60_000}m, like "10s"` });
    return undefined;
  }
  return ms;
}
