import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { killAll, registerDeployment, startServiceProcess, startStetProcess } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  killAll();
  dirs.splice(0).forEach((d) => d.remove());
});

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0);

/** Resolves once `check` holds; polls a file-backed condition written by another process. */
async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("stet process end to end", () => {
  it("starts, registers a service and calls it", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const service = await startServiceProcess("test/e2e/fixtures/flaky-service.mjs", { RUN_LOG: path.join(dir.path, "runs"),
      ATTEMPT_LOG: path.join(dir.path, "attempts"),
      ALLOW_FILE: path.join(dir.path, "allow") });
    const stet = await startStetProcess({ dataDir: path.join(dir.path, "data") });

    const reg = await registerDeployment(stet.adminUrl, service.url);
    expect(reg.status).toBe(201);
    const res = await fetch(`${stet.ingressUrl}/Greeter/greet`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify("Grace"),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toBe("Hello, Grace!");

    stet.child.kill("SIGTERM");
    expect(await stet.exited).toBe(0);
  });

  it("exits 0 on SIGTERM while an invocation backs off, then finishes it after restart reusing the ctx.run result", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const runLog = path.join(dir.path, "runs");
    const attemptLog = path.join(dir.path, "attempts");
    const allowFile = path.join(dir.path, "allow");
    const dataDir = path.join(dir.path, "data");
    const service = await startServiceProcess("test/e2e/fixtures/flaky-service.mjs", { RUN_LOG: runLog,
      ATTEMPT_LOG: attemptLog,
      ALLOW_FILE: allowFile });

    const first = await startStetProcess({ dataDir, shutdownTimeout: "5s" });
    const reg = await registerDeployment(first.adminUrl, service.url);
    expect(reg.status).toBe(201);
    const sent = await fetch(`${first.ingressUrl}/Flaky/work/send`, { method: "POST" });
    expect(sent.status).toBe(202);
    const { invocationId } = (await sent.json()) as { invocationId: string };

    // Two failed attempts: the run result is journaled and stet is now backing off before the next one.
    await until(() => lines(attemptLog) >= 2, "two failed attempts");
    expect(lines(runLog)).toBe(1);

    const signalledAt = Date.now();
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(5_000);

    fs.writeFileSync(allowFile, "");
    const second = await startStetProcess({ dataDir });
    const attached = await fetch(`${second.ingressUrl}/restate/invocation/${invocationId}/attach`);
    expect(attached.status).toBe(200);
    expect(await attached.json()).toMatch(/^computed-/);
    // The side effect ran once, before the restart; every later attempt replayed its journaled result.
    expect(lines(runLog)).toBe(1);
    expect(lines(attemptLog)).toBeGreaterThanOrEqual(3);

    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });

  it("shuts down in time while the deployment is down and invocations keep failing to connect", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const service = await startServiceProcess("test/e2e/fixtures/flaky-service.mjs", { RUN_LOG: path.join(dir.path, "runs"),
      ATTEMPT_LOG: path.join(dir.path, "attempts"),
      ALLOW_FILE: path.join(dir.path, "allow") });
    const stet = await startStetProcess({ dataDir: path.join(dir.path, "data"), shutdownTimeout: "3s" });
    const reg = await registerDeployment(stet.adminUrl, service.url);
    expect(reg.status).toBe(201);
    service.child.kill("SIGKILL");
    await service.exited;
    for (let i = 0; i < 20; i++) {
      const sent = await fetch(`${stet.ingressUrl}/Greeter/greet/send`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(`n${i}`),
      });
      expect(sent.status).toBe(202);
    }
    await stet.waitForOutput("invocation attempt failed");
    const signalledAt = Date.now();
    stet.child.kill("SIGTERM");
    expect(await stet.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(3_000);
  });
});
