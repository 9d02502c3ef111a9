import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import path from "node:path";
import { freePort, repoRoot } from "./processes.js";
import { tempDir } from "./temp-dir.js";

export interface RestateServer {
  readonly ingressUrl: string;
  readonly adminUrl: string;
  /** Everything the server printed so far (for failure messages). */
  readonly output: () => string;
  /** SIGTERM, then SIGKILL after a bound; removes the base dir. Safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every restate-server this helper started that still runs (safety net for afterAll). */
export function killAllRestateServers(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}
// A test worker that dies mid-suite must not leave a Rust process listening.
process.once("exit", killAllRestateServers);

/**
 * The native binary of `@restatedev/restate-server`. Spawning it directly (rather than the npm wrapper
 * script, which forwards signals to a child) means a SIGKILL reaches the server itself.
 */
function restateServerBinary(): string {
  const require = createRequire(path.join(repoRoot, "package.json"));
  try {
    return require.resolve(`@restatedev/restate-server-${platform()}-${arch()}/bin/restate-server`);
  } catch {
    const wrapper = path.join(repoRoot, "node_modules/.bin/restate-server");
    if (existsSync(wrapper)) return wrapper;
    throw new Error("restate-server is not installed (npm devDependency @restatedev/restate-server)");
  }
}

/**
 * Starts the official `restate-server` (single node, all roles) on loopback with random ports and a fresh
 * base dir, and resolves once its admin `/health` answers 200 and ingress accepts connections.
 */
export async function startRestateServer(options: StartOptions = {}): Promise<RestateServer> {
  // freePort() releases the port before the server binds it, so another test process may take it in
  // between; such a start fails with "Address in use" and is worth another try on fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt >= 3 || !String(error).includes("Address in use")) throw error;
    }
  }
}

interface StartOptions {
  readonly readyTimeoutMs?: number;
  readonly env?: Record<string, string>;
}

async function startOnce(options: StartOptions): Promise<RestateServer> {
  const dir = tempDir("restate-server-");
  const [ingressPort, adminPort, fabricPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const child = spawn(restateServerBinary(), ["--no-logo"], {
    cwd: dir.path,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      RESTATE_BASE_DIR: dir.path,
      RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingressPort}`,
      RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${adminPort}`,
      RESTATE_BIND_ADDRESS: `127.0.0.1:${fabricPort}`,
      RESTATE_ADVERTISED_ADDRESS: `http://127.0.0.1:${fabricPort}/`,
      RESTATE_LISTEN_MODE: "tcp",
      RESTATE_NODE_NAME: "differential",
      // No usage pings to restate.gateway.scarf.sh. (The GitHub "latest release" check at startup has no
      // switch in 1.7; it fails quietly offline, and the log filter below hides its error line.)
      RESTATE_DISABLE_TELEMETRY: "true",
      RESTATE_LOG_FILTER: "warn,octocrab=off",
      RESTATE_LOG_FORMAT: "compact",
      RESTATE_LOG_DISABLE_ANSI_CODES: "true",
      // Small footprint: tests run next to stet on a 2-core machine.
      RESTATE_DEFAULT_NUM_PARTITIONS: "4",
      RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE: "256 MiB",
      ...options.env,
    },
  });
  running.add(child);
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      running.delete(child);
      resolve();
    });
  });
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (!exitedEarly) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      dir.remove();
    })());

  const server: RestateServer = {
    ingressUrl: `http://127.0.0.1:${ingressPort}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    output: () => output,
    stop,
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  try {
    // Admin health first, then ingress: the ingress role starts a little after the admin API.
    for (const url of [`${server.adminUrl}/health`, `${server.ingressUrl}/restate/health`]) {
      for (;;) {
        if (exitedEarly) throw new Error(`restate-server exited during startup:\n${output}`);
        if (Date.now() > deadline) throw new Error(`restate-server not ready (${url}) in time:\n${output}`);
        const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 50)); // readiness poll interval
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return server;
}
