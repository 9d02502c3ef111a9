// Starting and stopping the two servers under test, each as the real server process (no npm or shell
// wrapper in between), so that /proc/<pid> accounts for the server itself.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { freePort } from "../lib/free-port.js";
import { arch, platform } from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { exeOf } from "./proc.js";

export type ServerKind = "stet" | "restate";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface StartOptions {
  readonly dataDir: string;
  readonly logFile: string;
  /** Extra node flags for stet (e.g. --cpu-prof). */
  readonly nodeFlags?: readonly string[];
  /** Extra environment for the server. */
  readonly env?: Record<string, string>;
  /** stet: a launcher to start instead of the shipped bin (the startup floor). */
  readonly bin?: string;
  /** stet: keep NODE_EXTRA_CA_CERTS from this environment (see `stetEnv`). */
  readonly keepExtraCaCerts?: boolean;
  /** stet: the store it keeps its partitions in (`--store <url>`) and how to account for it. */
  readonly store?: StoreBackend;
  /** stet: more `stet start` flags (a cluster node's `--partitions`, `--lease-ttl`). */
  readonly stetArgs?: readonly string[];
}

/** A database process the server keeps its state in (stet-pg: PostgreSQL), counted as part of the server. */
export interface StoreBackend {
  /** The `--store` URL the node is started with. */
  readonly url: string;
  /** CPU seconds of the whole database cluster so far (differences over a window are what counts). */
  cpuSeconds(): number;
}

/** One server process and where it answers. */
export interface ServerNode {
  readonly pid: number;
  readonly ingressUrl: string;
  readonly adminUrl: string;
  readonly logFile: string;
}

export interface RunningServer extends ServerNode {
  readonly kind: ServerKind;
  readonly pid: number;
  readonly cmdline: string;
  readonly ingressUrl: string;
  readonly adminUrl: string;
  readonly dataDir: string;
  /** The store stet was started with (its CPU counts as the server's); undefined for an embedded store. */
  readonly store?: StoreBackend;
  /**
   * Every process of the server: itself, or a cluster's nodes (cluster.ts). CPU and RSS are their sums;
   * load goes to all of their ingress URLs.
   */
  readonly nodes: readonly ServerNode[];
  /** ms from spawn to admin /health 200, and to ingress /restate/health 200. */
  readonly startup: { readonly adminMs: number; readonly ingressMs: number };
  readonly exited: () => boolean;
  /** SIGTERM, SIGKILL after `killAfterMs`; resolves with the ms the process took to exit. */
  stop(killAfterMs?: number): Promise<number>;
  /** SIGKILL (a crash); resolves once the process is gone. */
  kill(): Promise<void>;
}

export { freePort };

let distRoot = path.join(repoRoot, "dist");
/**
 * Runs stet and the bench service from another copy of dist/ (a snapshot taken at the start of the run,
 * so that a rebuild by someone else during the run does not change the code under test between rounds).
 */
export function useDist(dir: string): void {
  distRoot = dir;
}
export function distPath(rel: string): string {
  return path.join(distRoot, rel);
}

/**
 * stet's environment: this one without NODE_EXTRA_CA_CERTS unless asked to keep it. Node parses that file
 * before any JavaScript runs, in every process (this workplace points it at the whole system bundle: ~35
 * ms of a ~50 ms `node -e 0`), a cost of the machine's setup, not of the server; restate-server reads
 * no such variable. STARTUP reports stet's start with it kept as well.
 */
export function stetEnv(keepExtraCaCerts = false): NodeJS.ProcessEnv {
  const env = { ...process.env };
  if (!keepExtraCaCerts) delete env["NODE_EXTRA_CA_CERTS"];
  return env;
}

/** The shipped bin: the single-file bundle `npm run build` writes (what users run). */
export function stetCli(): string {
  return distPath("stet.cjs");
}

/**
 * The native restate-server binary. node_modules/.bin/restate-server is a JS shim that spawns this
 * binary as a child; measuring the shim would measure a node process that only forwards signals.
 */
export function restateBinary(): string {
  const require = createRequire(path.join(repoRoot, "package.json"));
  return require.resolve(`@restatedev/restate-server-${platform()}-${arch()}/bin/restate-server`);
}

export const restateEnvDefaults: Readonly<Record<string, string>> = {
  // No usage reporting (the scarf.sh ping). Everything else stays at restate-server's defaults.
  RESTATE_DISABLE_TELEMETRY: "true",
  RESTATE_LOG_FILTER: "warn,octocrab=off",
  RESTATE_LOG_FORMAT: "compact",
  RESTATE_LOG_DISABLE_ANSI_CODES: "true",
  RESTATE_LISTEN_MODE: "tcp",
};

async function ok(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    return false;
  }
}

export async function startServer(kind: ServerKind, opts: StartOptions): Promise<RunningServer> {
  const [ingressPort, adminPort, nodePort] = await Promise.all([freePort(), freePort(), freePort()]);
  const logFd = openSync(opts.logFile, "a");
  let child: ChildProcess;
  const t0 = performance.now();
  if (kind === "stet") {
    child = spawn(
      process.execPath,
      [
        ...(opts.nodeFlags ?? []),
        opts.bin ?? stetCli(),
        "start",
        "--data-dir",
        opts.dataDir,
        "--ingress-port",
        String(ingressPort),
        "--admin-port",
        String(adminPort),
        "--host",
        "127.0.0.1",
        "--log-level",
        "warn",
        ...(opts.store === undefined ? [] : ["--store", opts.store.url]),
        ...(opts.stetArgs ?? []),
      ],
      { cwd: repoRoot, stdio: ["ignore", logFd, logFd], env: { ...stetEnv(opts.keepExtraCaCerts), ...opts.env } },
    );
  } else {
    child = spawn(restateBinary(), ["--no-logo"], {
      cwd: opts.dataDir,
      stdio: ["ignore", logFd, logFd],
      env: {
        ...process.env,
        ...restateEnvDefaults,
        RESTATE_BASE_DIR: opts.dataDir,
        RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingressPort}`,
        RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${adminPort}`,
        RESTATE_BIND_ADDRESS: `127.0.0.1:${nodePort}`,
        RESTATE_ADVERTISED_ADDRESS: `http://127.0.0.1:${nodePort}/`,
        ...opts.env,
      },
    });
  }
  closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${kind}: spawn failed`);
  let hasExited = false;
  const exitedP = new Promise<void>((resolve) => {
    child.once("exit", () => {
      hasExited = true;
      resolve();
    });
  });
  const ingressUrl = `http://127.0.0.1:${ingressPort}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const deadline = Date.now() + 60_000;
  const waitFor = async (url: string): Promise<number> => {
    for (;;) {
      if (hasExited) throw new Error(`${kind} exited during startup; log ${opts.logFile}:\n${tail(opts.logFile)}`);
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`${kind} not healthy at ${url} within 60 s; log:\n${tail(opts.logFile)}`);
      }
      if (await ok(url)) return performance.now() - t0;
      await sleep(5);
    }
  };
  const adminMs = await waitFor(`${adminUrl}/health`);
  const ingressMs = await waitFor(`${ingressUrl}/restate/health`);

  let stopping: Promise<number> | undefined;
  return {
    kind,
    pid,
    cmdline: exeOf(pid),
    ingressUrl,
    adminUrl,
    nodes: [{ pid, ingressUrl, adminUrl, logFile: opts.logFile }],
    dataDir: opts.dataDir,
    logFile: opts.logFile,
    ...(opts.store === undefined ? {} : { store: opts.store }),
    startup: { adminMs, ingressMs },
    exited: () => hasExited,
    stop: (killAfterMs = 60_000) =>
      (stopping ??= (async () => {
        const s0 = performance.now();
        if (!hasExited) {
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
          await exitedP;
          clearTimeout(timer);
        }
        return performance.now() - s0;
      })()),
    kill: async () => {
      if (!hasExited) child.kill("SIGKILL");
      await exitedP;
    },
  };
}

/**
 * Registers the service endpoint (same body on both servers) and waits until ingress routes to it, on
 * every node of a cluster (the others pick the deployment up from the shared registry).
 */
export async function registerDeployment(server: RunningServer, serviceUrl: string): Promise<void> {
  const res = await fetch(`${server.adminUrl}/deployments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ uri: serviceUrl }),
  });
  const body = await res.text();
  if (res.status !== 201 && res.status !== 200) throw new Error(`${server.kind}: registration failed ${res.status}: ${body}`);
  // restate-server propagates the new schema to its ingress asynchronously.
  const deadline = Date.now() + 30_000;
  for (const node of server.nodes) await routesToBench(server.kind, node.ingressUrl, deadline);
}

async function routesToBench(kind: ServerKind, ingressUrl: string, deadline: number): Promise<void> {
  for (;;) {
    const r = await fetch(`${ingressUrl}/Bench/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "1",
    }).catch(() => undefined);
    const text = r === undefined ? "" : await r.text();
    if (r?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${kind}: ingress ${ingressUrl} does not route to Bench/echo: ${r?.status} ${text}`);
    await sleep(50);
  }
}

export function tail(file: string, lines = 30): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
