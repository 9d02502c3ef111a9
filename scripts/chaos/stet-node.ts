import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import { freePort } from "../lib/free-port.js";
import { exitOf, startScript, waitForHealth, type ErrorLines } from "./processes.js";

/**
 * One stet process of a chaos run, restartable: its ports stay the same across restarts (the client
 * keeps its list of nodes) unless they were taken meanwhile. The data folder may be deleted between two
 * runs of a cluster node: a cluster node keeps nothing there that must survive.
 */
export class StetNode {
  readonly name: string;
  readonly dataDir: string;
  readonly #extraArgs: readonly string[];
  readonly #errors: ErrorLines;
  #ingressPort = 0;
  #adminPort = 0;
  #child: ChildProcess | undefined;
  #paused = false;

  constructor(name: string, dataDir: string, extraArgs: readonly string[], errors: ErrorLines) {
    this.name = name;
    this.dataDir = dataDir;
    this.#extraArgs = extraArgs;
    this.#errors = errors;
  }

  get ingressUrl(): string {
    return `http://127.0.0.1:${this.#ingressPort}`;
  }

  get adminUrl(): string {
    return `http://127.0.0.1:${this.#adminPort}`;
  }

  /** True while a process runs and is not stopped with SIGSTOP. */
  get live(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null && !this.#paused;
  }

  /** Starts the process and resolves once its admin and ingress answer /health. */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.#ingressPort === 0) this.#ingressPort = await freePort();
      if (this.#adminPort === 0) this.#adminPort = await freePort();
      const child = startScript([
        "dist/stet.cjs",
        "start",
        "--data-dir",
        this.dataDir,
        "--ingress-port",
        String(this.#ingressPort),
        "--admin-port",
        String(this.#adminPort),
        "--host",
        "127.0.0.1",
        "--log-level",
        "error",
        "--shutdown-timeout",
        "5s",
        ...this.#extraArgs,
      ]);
      this.#child = child;
      this.#paused = false;
      const output = this.#errors.watch(child, this.name);
      const exited = exitOf(child);
      try {
        await waitForHealth(`${this.adminUrl}/health`, exited);
        await waitForHealth(`${this.ingressUrl}/restate/health`, exited);
        return;
      } catch (error) {
        child.kill("SIGKILL");
        await exited;
        // Another process took a port between two runs of this node: take new ones.
        if (attempt < 3 && output().includes("STET_PORT_IN_USE")) {
          this.#ingressPort = 0;
          this.#adminPort = 0;
          continue;
        }
        throw new Error(`${this.name} did not start: ${(error as Error).message}\n${output()}`);
      }
    }
  }

  /** kill -9; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    child.kill("SIGKILL");
    await exitOf(child);
    this.#paused = false;
  }

  /** SIGSTOP: the process keeps its sockets and leases but runs no code until resume(). */
  pause(): void {
    this.#child?.kill("SIGSTOP");
    this.#paused = true;
  }

  resume(): void {
    this.#child?.kill("SIGCONT");
    this.#paused = false;
  }

  /** Deletes the data folder (the process must not be running). */
  wipe(): void {
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** Graceful stop (SIGTERM), kill -9 past `timeoutMs`; idempotent. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await exitOf(child);
    clearTimeout(timer);
  }
}
