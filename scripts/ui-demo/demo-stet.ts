// A running stet (the shipped bin, dist/stet.cjs, as its own process) with the demo services registered:
// the base of the screenshots and of the 100k-invocation measurement.
import "./quiet-sdk.js";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as restate from "@restatedev/restate-sdk";
import { freePort } from "../lib/free-port.js";
import { DEMO_SERVICES } from "./demo-services.js";

/** The repository's root (this file runs from dist/scripts/ui-demo/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface DemoStet {
  readonly adminUrl: string;
  readonly ingressUrl: string;
  readonly serviceUrl: string;
  /** POSTs JSON to an ingress path and returns the answer's status and JSON (or text) body. */
  call(path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: unknown; id: string | null }>;
  close(): Promise<void>;
}

/**
 * Starts stet on random ports with the demo services registered. With `dataDir`, stet keeps its data there
 * (and resumes it on the next start); without, a new folder is removed on close.
 */
export async function startDemoStet(options: { partitions?: number; dataDir?: string; adminPort?: number; ingressPort?: number } = {}): Promise<DemoStet> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "stet-ui-demo-"));
  const ingressPort = options.ingressPort ?? (await freePort());
  const adminPort = options.adminPort ?? (await freePort());
  const endpoint = http.createServer(restate.createEndpointHandler({ services: DEMO_SERVICES }));
  await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
  const serviceUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(REPO_ROOT, "dist", "stet.cjs"),
      "start",
      "--data-dir",
      path.join(dataDir, "data"),
      "--ingress-port",
      String(ingressPort),
      "--admin-port",
      String(adminPort),
      "--host",
      "127.0.0.1",
      "--log-level",
      "error",
      ...(options.partitions === undefined ? [] : ["--partitions", String(options.partitions)]),
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const ingressUrl = `http://127.0.0.1:${ingressPort}`;
  const close = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await new Promise((resolve) => endpoint.close(resolve));
    if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(`${adminUrl}/health`);
    await waitForHealth(`${ingressUrl}/restate/health`);
    const registered = await fetch(`${adminUrl}/deployments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      // HTTP/1.1: handlers that sleep suspend at once instead of holding a stream open.
      body: JSON.stringify({ uri: serviceUrl, use_http_11: true }),
    });
    // 201 for a new deployment; 200 when a kept data folder has it already.
    if (registered.status !== 201 && registered.status !== 200) throw new Error(`registering the demo services failed: ${registered.status} ${await registered.text()}`);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    adminUrl,
    ingressUrl,
    serviceUrl,
    call: async (urlPath, body, headers = {}) => {
      const response = await fetch(`${ingressUrl}${urlPath}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: body === undefined ? null : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: kept as text
      }
      return { status: response.status, body: parsed, id: response.headers.get("x-restate-id") };
    },
    close,
  };
}

async function waitForHealth(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}
