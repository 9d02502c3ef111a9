// A throwaway PostgreSQL 15 cluster for the prototypes: initdb in a temporary folder, pg_ctl on a random
// loopback port, run as the `postgres` user (the server refuses root). Stopped and deleted by stop().
import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuSeconds } from "../bench/proc.js";
import { freePort } from "../lib/free-port.js";

export interface PgServer {
  readonly port: number;
  readonly dataDir: string;
  readonly postmasterPid: number;
  readonly connection: { host: string; port: number; user: string; database: string };
  /** CPU seconds of the whole cluster so far: postmaster, live children, and children already reaped. */
  cpuSeconds(): number;
  stop(): void;
}

function bindir(): string {
  return execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
}

function asPostgres(cmd: string, args: string[]): string {
  return execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Settings beyond the defaults. Durability is left as shipped: fsync on, synchronous_commit on. */
const SETTINGS: Record<string, string> = {
  listen_addresses: "127.0.0.1",
  max_connections: "50",
  shared_buffers: "256MB",
  synchronous_commit: "on",
  fsync: "on",
};

export async function startPostgres(extra: Record<string, string> = {}): Promise<PgServer> {
  const bin = bindir();
  const root = mkdtempSync(join(tmpdir(), "stet-pgproto-"));
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  chownSync(root, uid, gid);
  const dataDir = join(root, "data");
  asPostgres(join(bin, "initdb"), ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const port = await freePort();
  const opts = Object.entries({ ...SETTINGS, ...extra, port: String(port), unix_socket_directories: root })
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(" ");
  asPostgres(join(bin, "pg_ctl"), ["-D", dataDir, "-o", opts, "-l", join(root, "server.log"), "-w", "start"]);
  const postmasterPid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  let stopped = false;
  return {
    port,
    dataDir,
    postmasterPid,
    connection: { host: "127.0.0.1", port, user: "postgres", database: "postgres" },
    cpuSeconds: () => clusterCpuSeconds(postmasterPid),
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        asPostgres(join(bin, "pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "stop"]);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

/**
 * The postmaster's own time plus its reaped children's (cutime/cstime: autovacuum workers that came and
 * went) plus every live child's (backends, WAL writer, checkpointer). Differences of two readings are
 * the cluster's CPU over the window, whichever children lived through it.
 */
export function clusterCpuSeconds(postmasterPid: number): number {
  const stat = readStat(postmasterPid);
  if (stat === undefined) return NaN;
  let total = stat.self + stat.children;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const child = readStat(Number(entry));
    if (child?.ppid === postmasterPid) total += child.self;
  }
  return total;
}

function readStat(pid: number): { ppid: number; self: number; children: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const self = cpuSeconds(pid);
  if (self === undefined) return undefined;
  // rest[1] = ppid (field 4); rest[13], rest[14] = cutime, cstime (fields 16, 17), in clock ticks.
  return { ppid: Number(rest[1]), self, children: (Number(rest[13]) + Number(rest[14])) / 100 };
}
