import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "../../scripts/lib/free-port.js";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const stetBin = path.join(repoRoot, "dist/stet.cjs");

const running = new Set<ChildProcess>();

/** Kills every process these helpers started that is still running (for afterEach). */
export function killAll(): void {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
}

export { freePort };

export interface Spawned {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code (or signal name) once the process ends. */
  readonly exited: Promise<number | string>;
  /** Resolves once the output contains `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
}

export function spawnNode(args: string[], env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    for (const w of [...waiters]) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? "unknown");
    });
  });
  return {
    child,
    output: () => output,
    exited,
    waitForOutput: (text, timeoutMs = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for '${text}'; output:\n${output}`)), timeoutMs);
        const check = () => {
          if (!output.includes(text)) return;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve();
        };
        waiters.push(check);
        check();
      }),
  };
}

export interface StetProcess extends Spawned {
  readonly ingressUrl: string;
  readonly adminUrl: string;
}

/** Starts the real `stet` bin and resolves once it reports ready. */
export async function startStetProcess(options: {
  dataDir: string;
  ingressPort?: number;
  adminPort?: number;
  shutdownTimeout?: string;
  extraArgs?: string[];
}): Promise<StetProcess> {
  // freePort() releases its port before stet binds it; another test process may take it in between.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStetOnce(options);
    } catch (error) {
      const random = options.ingressPort === undefined && options.adminPort === undefined;
      if (!random || attempt >= 3 || !String(error).includes("[STET_PORT_IN_USE]")) throw error;
    }
  }
}

async function startStetOnce(options: Parameters<typeof startStetProcess>[0]): Promise<StetProcess> {
  const ingressPort = options.ingressPort ?? (await freePort());
  const adminPort = options.adminPort ?? (await freePort());
  const spawned = spawnNode([
    stetBin,
    "start",
    "--data-dir",
    options.dataDir,
    "--ingress-port",
    String(ingressPort),
    "--admin-port",
    String(adminPort),
    "--host",
    "127.0.0.1",
    "--shutdown-timeout",
    options.shutdownTimeout ?? "5s",
    ...(options.extraArgs ?? []),
  ]);
  const exitedFirst = spawned.exited.then((code) => {
    throw new Error(`stet exited (${code}) before it was ready; output:\n${spawned.output()}`);
  });
  exitedFirst.catch(() => undefined); // it exits later, after the race, in every test
  await Promise.race([spawned.waitForOutput("stet is ready"), exitedFirst]);
  return { ...spawned, ingressUrl: `http://127.0.0.1:${ingressPort}`, adminUrl: `http://127.0.0.1:${adminPort}` };
}

export interface ServiceProcess extends Spawned {
  readonly port: number;
  readonly url: string;
}

/** Starts an official-SDK service fixture (it prints `SERVICE_PORT=<n>` once listening) on a free port. */
export async function startServiceProcess(fixture: string, env: Record<string, string> = {}, port?: number): Promise<ServiceProcess> {
  const spawned = spawnNode([fixture], { PORT: String(port ?? (await freePort())), ...env });
  await spawned.waitForOutput("SERVICE_PORT=");
  const listening = Number(/SERVICE_PORT=(\d+)/.exec(spawned.output())![1]);
  return { ...spawned, port: listening, url: `http://127.0.0.1:${listening}` };
}

/** Registers a deployment through stet's admin API; resolves with the response. */
export function registerDeployment(adminUrl: string, uri: string): Promise<Response> {
  return fetch(`${adminUrl}/deployments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ uri }),
  });
}
