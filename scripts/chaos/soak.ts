/**
 * Soak driver: runs a real stet against an official-SDK service for a bounded time, kills stet with
 * SIGKILL at random moments and restarts it, while a client keeps sending invocations (each with an
 * idempotency key, re-sent until answered). Prints accepted, completed, duplicate side effects, lost
 * (must be 0) and the longest recovery time.
 *
 *   npm run chaos -- --minutes 2 --kill-every 8 --rate 40
 *
 * Everything runs on loopback; the loops are bounded by --minutes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../lib/free-port.js";

const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../..");
const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "2" },
    "kill-every": { type: "string", default: "8" },
    rate: { type: "string", default: "40" },
  },
});
const durationMs = Number(values.minutes) * 60_000;
const killEveryMs = Number(values["kill-every"]) * 1000;
const ratePerSec = Number(values.rate);


function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, args, { cwd: repo, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * stet's log lines at error level or above (pino level >= 50), over every restart: a kill -9 and its
 * recovery are expected events, not errors. Reading the pipes also keeps a full pipe from blocking stet.
 */
const stetErrors: string[] = [];
function watchErrors(child: ChildProcess): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream?.on("data", (chunk: Buffer) => {
      const lines = (rest + chunk.toString("utf8")).split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        let level = 0;
        try {
          level = (JSON.parse(line) as { level?: number }).level ?? 0;
        } catch {
          level = line.trim() === "" ? 0 : 50; // not a log line: a crash or a stack trace
        }
        if (level >= 50) stetErrors.push(line.slice(0, 300));
      }
    });
  }
}

async function waitForHealth(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${url} did not become healthy`);
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "stet-chaos-"));
  const log = path.join(work, "side-effects");
  const dataDir = path.join(work, "data");
  const servicePort = await freePort();
  const ingressPort = await freePort();
  const adminPort = await freePort();
  const service = start(["test/e2e/fixtures/load-service.mjs"], { PORT: String(servicePort), LOG: log, RESTATE_LOGGING: "ERROR" });
  const stetArgs = ["dist/stet.cjs", "start", "--data-dir", dataDir, "--ingress-port", String(ingressPort), "--admin-port", String(adminPort), "--host", "127.0.0.1", "--log-level", "error"];
  let stet = start(stetArgs);
  watchErrors(stet);
  const ingress = `http://127.0.0.1:${ingressPort}`;
  const admin = `http://127.0.0.1:${adminPort}`;
  await waitForHealth(`${admin}/health`);
  await new Promise((r) => setTimeout(r, 300));
  const reg = await fetch(`${admin}/deployments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ uri: `http://127.0.0.1:${servicePort}` }),
  });
  if (reg.status !== 201) throw new Error(`registration failed: ${reg.status} ${await reg.text()}`);

  const accepted = new Map<string, string>(); // idempotency key -> invocation id
  const recoveries: number[] = [];
  let kills = 0;
  let sent = 0;
  const end = Date.now() + durationMs;

  const sendOne = async (n: number) => {
    const key = `soak-${n}`;
    while (Date.now() < end + 60_000) {
      try {
        const res = await fetch(`${ingress}/Load/work/send`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": key },
          body: JSON.stringify(n),
        });
        if (res.status === 202) {
          accepted.set(key, ((await res.json()) as { invocationId: string }).invocationId);
          return;
        }
      } catch {
        // stet is down; the same request is sent again with the same key.
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const senders: Promise<void>[] = [];
  const sender = (async () => {
    while (Date.now() < end) {
      senders.push(sendOne(sent++));
      await new Promise((r) => setTimeout(r, 1000 / ratePerSec));
    }
  })();
  const killer = (async () => {
    while (Date.now() + killEveryMs < end) {
      await new Promise((r) => setTimeout(r, killEveryMs * (0.5 + Math.random())));
      const killedAt = Date.now();
      stet.kill("SIGKILL");
      await new Promise((r) => stet.once("exit", r));
      kills++;
      stet = start(stetArgs);
      watchErrors(stet);
      await waitForHealth(`${ingress}/restate/health`);
      recoveries.push(Date.now() - killedAt);
    }
  })();
  await Promise.all([sender, killer]);
  await Promise.all(senders);

  // Every accepted invocation must complete.
  let completed = 0;
  const lost: string[] = [];
  await Promise.all(
    [...accepted.values()].map(async (id) => {
      const res = await fetch(`${ingress}/restate/invocation/${id}/attach`, { signal: AbortSignal.timeout(60_000) }).catch(() => undefined);
      if (res?.status === 200) completed++;
      else lost.push(id);
    }),
  );
  const runs = new Map<string, number>();
  for (const line of fs.readFileSync(log, "utf8").split("\n")) {
    const [kind, id] = line.split(" ");
    if (kind === "run") runs.set(id!, (runs.get(id!) ?? 0) + 1);
  }
  const duplicateSideEffects = [...runs.values()].reduce((sum, n) => sum + n - 1, 0);

  stet.kill("SIGTERM");
  service.kill("SIGTERM");
  fs.rmSync(work, { recursive: true, force: true });
  const summary = {
    minutes: Number(values.minutes),
    kills,
    sent,
    accepted: accepted.size,
    completed,
    lost: lost.length,
    duplicateSideEffects,
    longestRecoveryMs: Math.max(0, ...recoveries),
    medianRecoveryMs: recoveries.sort((a, b) => a - b)[Math.floor(recoveries.length / 2)] ?? 0,
    stetErrorLines: stetErrors.length,
    stetErrorSamples: stetErrors.slice(0, 3),
  };
  console.log(JSON.stringify(summary, null, 2));
  if (lost.length > 0) process.exitCode = 1;
}

void main();
