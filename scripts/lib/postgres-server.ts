// A throwaway PostgreSQL cluster for tests, benchmarks and prototypes: initdb in a temporary folder,
// pg_ctl on a free loopback port, trust authentication for the `postgres` role. As root it runs the
// server's programs as the `postgres` OS user (the server refuses to run as root); otherwise as the
// current user. stop(), start() and restart() keep the folder and port, so that a test can take
// PostgreSQL away under load and bring it back; close() stops it and deletes the folder.
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { procStat } from "../bench/proc.js";
import { freePort } from "./free-port.js";

const run = promisify(execFile);

export interface PostgresServerOptions {
  /** Server settings (postgresql.conf names) over the defaults below, e.g. `{ fsync: "off" }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Prefix of the temporary folder's name. */
  readonly prefix?: string;
}

/** `fast` disconnects clients and shuts down cleanly; `immediate` is a crash (recovery at next start). */
export type StopMode = "fast" | "immediate";

export interface PostgresServer extends AsyncDisposable {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** The running postmaster's pid (a new one after each start); undefined while stopped. */
  readonly postmasterPid: number | undefined;
  /** Connection settings for `pg.Client` as the superuser `postgres`, database `postgres`. */
  readonly connection: { host: string; port: number; user: string; database: string };
  /** A `postgres://` URL of `database` (default `postgres`) as the superuser. */
  url(database?: string): string;
  /** CPU seconds of the whole cluster since its current start: postmaster, live and reaped children. */
  cpuSeconds(): number;
  /** Starts the stopped server again on the same folder and port. */
  start(): Promise<void>;
  /** Stops the server, keeping its folder; idempotent. */
  stop(mode?: StopMode): Promise<void>;
  /** stop() then start(): clients see their connections end, as in a real PostgreSQL restart. */
  restart(mode?: StopMode): Promise<void>;
  /** Stops the server and deletes its folder; idempotent. */
  close(): Promise<void>;
}

/** Settings beyond initdb's. Durability stays as shipped (fsync on, synchronous_commit on) unless asked. */
const DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  listen_addresses: "127.0.0.1",
  max_connections: "100",
};

/** The folder of initdb, pg_ctl and postgres: pg_config's, else the newest Debian install. */
export function postgresBinDir(): string {
  try {
    return execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    const root = "/usr/lib/postgresql";
    const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
    const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
    if (newest === undefined) throw new Error("PostgreSQL is not installed: no pg_config and no /usr/lib/postgresql/<version>; apt-get install postgresql");
    return join(root, newest, "bin");
  }
}

export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  // As root, the programs run as `postgres` through runuser; the folder must then be that user's.
  const exec = (program: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, program), ...args]) : run(join(bin, program), args);
  const root = mkdtempSync(join(tmpdir(), options.prefix ?? "stet-postgres-"));
  try {
    if (asRoot) {
      const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
      chownSync(root, id("-u"), id("-g"));
    }
    const dataDir = join(root, "data");
    const logFile = join(root, "server.log");
    await exec("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    const port = await freePort();
    const serverOptions = Object.entries({ ...DEFAULT_SETTINGS, ...options.settings, port: String(port), unix_socket_directories: root })
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(" ");
    const pgCtl = async (args: string[]) => {
      try {
        await exec("pg_ctl", ["-D", dataDir, ...args]);
      } catch (error) {
        throw new Error(`pg_ctl ${args.join(" ")} failed; server log:\n${logTail(logFile)}`, { cause: error });
      }
    };
    let pid: number | undefined;
    let closed = false;
    const start = async () => {
      if (closed) throw new Error("this PostgreSQL server was closed");
      if (pid !== undefined) return;
      await pgCtl(["-o", serverOptions, "-l", logFile, "-w", "start"]);
      pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    };
    const stop = async (mode: StopMode = "fast") => {
      if (pid === undefined) return;
      await pgCtl(["-m", mode, "-w", "stop"]);
      pid = undefined;
    };
    const close = async () => {
      if (closed) return;
      try {
        await stop();
      } finally {
        closed = true;
        rmSync(root, { recursive: true, force: true });
      }
    };
    await start();
    const host = "127.0.0.1";
    return {
      host,
      port,
      dataDir,
      get postmasterPid() {
        return pid;
      },
      connection: { host, port, user: "postgres", database: "postgres" },
      url: (database = "postgres") => `postgres://postgres@${host}:${port}/${encodeURIComponent(database)}`,
      cpuSeconds: () => (pid === undefined ? NaN : clusterCpuSeconds(pid)),
      start,
      stop,
      restart: async (mode?: StopMode) => {
        await stop(mode);
        await start();
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    // initdb or the first start failed: leave no folder (nor, with -w stop, a server) behind.
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

function logTail(logFile: string): string {
  try {
    return readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * The postmaster's own time plus its reaped children's (cutime/cstime: autovacuum workers that came and
 * went) plus every live child's (backends, WAL writer, checkpointer). Differences of two readings are
 * the cluster's CPU over the window, whichever children lived through it.
 */
export function clusterCpuSeconds(postmasterPid: number): number {
  const stat = procStat(postmasterPid);
  if (stat === undefined) return NaN;
  let total = stat.cpuSeconds + stat.reapedChildrenCpuSeconds;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const child = procStat(Number(entry));
    if (child?.ppid === postmasterPid) total += child.cpuSeconds;
  }
  return total;
}

/**
 * Proportional set size (PSS) of the postmaster and its live children, MB: each process's private pages
 * plus its share of the pages it shares (shared_buffers mapped by every backend counts once in the sum,
 * where a sum of RSS would count it once per process). NaN when the cluster is not running.
 */
export function clusterPssMb(postmasterPid: number): number {
  const pss = (pid: number): number => {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
      return m === null ? NaN : Number(m[1]) / 1024;
    } catch {
      return NaN;
    }
  };
  let total = pss(postmasterPid);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    if (procStat(Number(entry))?.ppid === postmasterPid) total += pss(Number(entry)) || 0; // a child may exit meanwhile
  }
  return total;
}

