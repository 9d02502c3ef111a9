import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killAll, registerDeployment, startServiceProcess, startStetProcess, type ServiceProcess, type StetProcess } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

// One service process and one data folder for the file; stet is stopped (SIGTERM or kill -9) and
// restarted in the middle of each feature, which must then finish as if nothing happened.
let dir: { path: string; remove(): void };
let runLog: string;
let dataDir: string;
let serviceUrl: string;
let service: ServiceProcess;
let stet: StetProcess;

const logLines = () => (fs.existsSync(runLog) ? fs.readFileSync(runLog, "utf8").split("\n").filter(Boolean) : []);
const count = (prefix: string) => logLines().filter((l) => l.startsWith(prefix)).length;

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function restart(how: "SIGTERM" | "SIGKILL"): Promise<void> {
  stet.child.kill(how);
  const code = await stet.exited;
  if (how === "SIGTERM") expect(code).toBe(0);
  stet = await startStetProcess({ dataDir });
}

const post = (p: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${stet.ingressUrl}${p}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const attach = async (id: string) => {
  const res = await fetch(`${stet.ingressUrl}/restate/invocation/${id}/attach`);
  return { status: res.status, body: (await res.json()) as unknown };
};

/** Waits until `invocationId`'s journal holds a `ctx.run` result (its Run notification). */
async function runResultStored(invocationId: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${stet.adminUrl}/query`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: `SELECT index FROM sys_journal WHERE id = '${invocationId}' AND entry_type = 'Notification: Run'` }),
    });
    const { rows } = (await res.json()) as { rows?: unknown[] };
    if ((rows?.length ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the run result of ${invocationId}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const send = async (p: string, body?: unknown, headers: Record<string, string> = {}) =>
  ((await (await post(`${p}/send`, body, headers)).json()) as { invocationId: string; status: string });

beforeAll(async () => {
  dir = tempDir();
  runLog = path.join(dir.path, "runs");
  dataDir = path.join(dir.path, "data");
  service = await startServiceProcess("test/e2e/fixtures/features-service.mjs", { RUN_LOG: runLog });
  serviceUrl = service.url;
  stet = await startStetProcess({ dataDir });
  const reg = await registerDeployment(stet.adminUrl, serviceUrl);
  expect(reg.status).toBe(201);
});

afterAll(() => {
  killAll();
  dir.remove();
});

describe("features survive restarts", () => {
  it("object state", async () => {
    expect(await (await post("/Counter/c1/add", 5)).json()).toBe(5);
    await restart("SIGKILL");
    expect(await (await post("/Counter/c1/add", 2)).json()).toBe(7);
    expect(await (await post("/Counter/c1/get")).json()).toBe(7);
  });

  it("a sleep in progress fires after a restart, on time", async () => {
    const { invocationId } = await send("/Steps/nap", 1200);
    // Once the step's result is durable: a step cut off before that may run again (at least once).
    await until(() => (count("nap acked") === 1 ? true : undefined), "the nap's first step to be acknowledged");
    await restart("SIGTERM");
    const { status, body } = await attach(invocationId);
    expect(status).toBe(200);
    expect(body as number).toBeGreaterThanOrEqual(1200);
    expect(count("nap start")).toBe(1);
  });

  it("a call to another service in flight when stet is killed", async () => {
    const { invocationId } = await send("/Steps/callChild", "x1");
    // Kill only once the child's step is durable: a step whose result was not yet stored may run again.
    await until(() => (count("acked child x1") >= 1 ? true : undefined), "the child's step to be journaled");
    await restart("SIGKILL");
    expect(await attach(invocationId)).toEqual({ status: 200, body: "echo x1" });
    expect(count("parent x1")).toBe(1);
    expect(count("child x1")).toBe(1);
  });

  it("an awakeable awaited across a restart", async () => {
    const { invocationId } = await send("/Steps/awaitSignal", "w1");
    const line = await until(() => logLines().find((l) => l.startsWith("awakeable w1 ")), "the awakeable id");
    await restart("SIGKILL");
    const awakeableId = line.split(" ")[2]!;
    const resolved = await post(`/restate/awakeables/${awakeableId}/resolve`, "go");
    expect(resolved.status).toBeLessThan(300);
    expect(await attach(invocationId)).toEqual({ status: 200, body: "woken with go" });
  });

  it("a workflow waiting on its promise", async () => {
    const { invocationId } = await send("/Approval/wf1/run", "deploy");
    await until(() => (count("approval requested wf1") === 1 ? true : undefined), "the workflow to start");
    // Restart only once the step's result is durable: a shutdown aborts live attempts, and a step whose
    // result was not yet stored runs again (at least once, as in Restate).
    await runResultStored(invocationId);
    await restart("SIGTERM");
    await post("/Approval/wf1/decide", "approved");
    const res = await fetch(`${stet.ingressUrl}/restate/workflow/Approval/wf1/attach`);
    expect(await res.json()).toBe("deploy: approved");
    expect(count("approval requested wf1")).toBe(1);
  });

  it("a delayed send scheduled before a restart", async () => {
    const sentAt = Date.now();
    const res = await fetch(`${stet.ingressUrl}/Steps/mark/send?delay=800ms`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify("delayed"),
    });
    const { invocationId } = (await res.json()) as { invocationId: string };
    await restart("SIGKILL");
    expect(await attach(invocationId)).toEqual({ status: 200, body: "delayed" });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(800);
    expect(count("mark delayed")).toBe(1);
  });

  it("an idempotency key remembered across a restart", async () => {
    const first = await send("/Steps/mark", "idem", { "idempotency-key": "once" });
    expect(first.status).toBe("Accepted");
    await attach(first.invocationId);
    await restart("SIGKILL");
    const second = await send("/Steps/mark", "idem", { "idempotency-key": "once" });
    expect(second).toEqual({ invocationId: first.invocationId, status: "PreviouslyAccepted" });
    expect(count("mark idem")).toBe(1);
  });

  it("the service process killed mid-invocation and started again", async () => {
    const { invocationId } = await send("/Steps/callChild", "svc1");
    await until(() => (count("acked child svc1") >= 1 ? true : undefined), "the child's step to be journaled");
    service.child.kill("SIGKILL");
    await service.exited;
    service = await startServiceProcess("test/e2e/fixtures/features-service.mjs", { RUN_LOG: runLog }, service.port);
    expect(await attach(invocationId)).toEqual({ status: 200, body: "echo svc1" });
    expect(count("parent svc1")).toBe(1);
    expect(count("child svc1")).toBe(1);
  });
});
