import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, from this file's place in dist/scripts/chaos/. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A node script of the repository (stet's bin, a service fixture) with its output piped. */
export function startScript(args: readonly string[], env: Readonly<Record<string, string>> = {}): ChildProcess {
  return spawn(process.execPath, [...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

/** Resolves with the exit code (or signal name) once `child` has exited, also when it already has. */
export function exitOf(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode!);
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
}

/**
 * stet's log lines at error level or above (pino level >= 50), over every process and restart of a run:
 * a kill -9 and its recovery are expected events, not errors. Reading the pipes also keeps a full pipe
 * from blocking stet. The last lines of each process are kept for when it fails to start.
 */
export class ErrorLines {
  readonly lines: string[] = [];

  /** Watches `child`'s output; returns the tail of what it printed, for a start failure's message. */
  watch(child: ChildProcess, name: string): () => string {
    const tail: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      let rest = "";
      stream?.on("data", (chunk: Buffer) => {
        const lines = (rest + chunk.toString("utf8")).split("\n");
        rest = lines.pop()!;
        for (const line of lines) {
          tail.push(line);
          if (tail.length > 20) tail.shift();
          if (levelOf(line) >= 50) this.lines.push(`${name}: ${line.slice(0, 300)}`);
        }
      });
    }
    return () => tail.join("\n");
  }
}

function levelOf(line: string): number {
  if (line.trim() === "") return 0;
  try {
    return (JSON.parse(line) as { level?: number }).level ?? 0;
  } catch {
    return 50; // not a log line: a crash or a stack trace
  }
}

/** Polls `url` until it answers 200; rejects after `timeoutMs` or once `gone` settles (the process exited). */
export async function waitForHealth(url: string, gone: Promise<unknown>, timeoutMs = 30_000): Promise<void> {
  let exited = false;
  void gone.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (!exited) {
    if (Date.now() > deadline) throw new Error(`${url} did not become healthy in ${timeoutMs} ms`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) return;
    await sleep(20);
  }
  throw new Error(`the process serving ${url} exited before it became healthy`);
}

export interface LoadService {
  readonly url: string;
  /** Where the service logs each run body and each run result it observed (see the fixture). */
  readonly logFile: string;
  readonly child: ChildProcess;
}

/** The official-SDK load service of the e2e tests (Load/work, Tally/add, Tally/get), on `port`. */
export async function startLoadService(port: number, logFile: string): Promise<LoadService> {
  const child = startScript(["test/e2e/fixtures/load-service.mjs"], { PORT: String(port), LOG: logFile, RESTATE_LOGGING: "ERROR" });
  child.stderr!.resume(); // read, so that a full pipe never blocks the service
  await new Promise<void>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("SERVICE_PORT=")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the load service exited (${code}) before listening`)));
  });
  return { url: `http://127.0.0.1:${port}`, logFile, child };
}

/** Registers the service's deployment through `adminUrl`, retrying while the node is still settling. */
export async function registerDeployment(adminUrl: string, serviceUrl: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${adminUrl}/deployments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uri: serviceUrl }),
      signal: AbortSignal.timeout(10_000),
    }).catch((error: unknown) => error as Error);
    if (!(res instanceof Error) && (res.status === 201 || res.status === 200)) return;
    if (Date.now() > deadline) {
      throw new Error(`registration failed: ${res instanceof Error ? res.message : `${res.status} ${await res.text()}`}`);
    }
    await sleep(200);
  }
}
