import path from "node:path";
import { Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { killAll, registerDeployment, startServiceProcess, startStetProcess, type StetProcess } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";
import fs from "node:fs";

// SIGTERM closes HTTP connections only between requests: every request sent before the signal gets a
// whole response (its outcome, or a 503 in Restate's shape with Connection: close), never a reset, and
// every invocation that was accepted completes after the restart.

const dirs: Array<{ remove(): void }> = [];
const pools: Pool[] = [];
afterEach(async () => {
  killAll();
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
  dirs.splice(0).forEach((d) => d.remove());
});

interface Setup {
  readonly dataDir: string;
  readonly runLog: string;
  stet: StetProcess;
}

async function setUp(): Promise<Setup> {
  const dir = tempDir();
  dirs.push(dir);
  const runLog = path.join(dir.path, "runs");
  const dataDir = path.join(dir.path, "data");
  const service = await startServiceProcess("test/e2e/fixtures/features-service.mjs", { RUN_LOG: runLog });
  const stet = await startStetProcess({ dataDir, shutdownTimeout: "10s" });
  expect((await registerDeployment(stet.adminUrl, service.url)).status).toBe(201);
  return { dataDir, runLog, stet };
}

function newPool(origin: string, connections: number): Pool {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  pools.push(pool);
  return pool;
}

async function post(pool: Pool, route: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await pool.request({
    method: "POST",
    path: route,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  // Reading the whole body is part of "a complete response".
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

/** Attaches to each invocation on the restarted stet; resolves with those that did not answer 200. */
async function unfinished(stet: StetProcess, ids: readonly string[]): Promise<Array<{ id: string; status: number }>> {
  const results = await Promise.all(
    ids.map(async (id) => {
      const res = await fetch(`${stet.ingressUrl}/restate/invocation/${id}/attach`, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
      await res?.arrayBuffer();
      return { id, status: res?.status ?? 0 };
    }),
  );
  return results.filter((r) => r.status !== 200);
}

describe("SIGTERM and open connections", () => {
  it("answers each of 50 waiting request/response calls with a complete 503 naming its invocation, which completes after restart", async () => {
    const setup = await setUp();
    const pool = newPool(setup.stet.ingressUrl, 50);
    // Naps long enough that none ends before the last has started, also on a loaded machine.
    const calls = Array.from({ length: 50 }, () => post(pool, "/Steps/nap", 5_000));
    const naps = () => (fs.existsSync(setup.runLog) ? fs.readFileSync(setup.runLog, "utf8").split("\n").filter((l) => l === "nap start").length : 0);
    while (naps() < 50) await new Promise((r) => setTimeout(r, 20));

    setup.stet.child.kill("SIGTERM");
    const answers = await Promise.allSettled(calls);
    expect(await setup.stet.exited).toBe(0);

    const resets = answers.filter((a) => a.status === "rejected");
    expect(resets).toEqual([]);
    const ids: string[] = [];
    for (const answer of answers) {
      const { status, headers, text } = (answer as PromiseFulfilledResult<Awaited<ReturnType<typeof post>>>).value;
      expect(status).toBe(503);
      expect(headers["connection"]).toBe("close");
      expect(JSON.parse(text)).toMatchObject({ code: 503, message: expect.stringContaining("shutting down") });
      expect(headers["x-restate-id"]).toMatch(/^inv_/);
      ids.push(headers["x-restate-id"] as string);
    }
    expect(new Set(ids).size).toBe(50);

    setup.stet = await startStetProcess({ dataDir: setup.dataDir });
    expect(await unfinished(setup.stet, ids)).toEqual([]);
    setup.stet.child.kill("SIGTERM");
    expect(await setup.stet.exited).toBe(0);
  }, 60_000);

  it("gives every request a closed-loop client sent on 32 keep-alive connections before the signal a complete response", async () => {
    const setup = await setUp();
    const pool = newPool(setup.stet.ingressUrl, 32);
    interface Sent {
      readonly sentAt: number;
      status?: number;
      error?: string;
      id?: string;
    }
    const sent: Sent[] = [];
    let signalledAt = Infinity;
    const worker = async (w: number) => {
      for (let i = 0; ; i++) {
        const record: Sent = { sentAt: performance.now() };
        sent.push(record);
        const send = w % 2 === 1;
        try {
          const res = await post(pool, `/Counter/c${w}/add${send ? "/send" : ""}`, 1, { "idempotency-key": `${w}-${i}` });
          record.status = res.status;
          const id = send && res.status === 202 ? (JSON.parse(res.text) as { invocationId: string }).invocationId : res.headers["x-restate-id"];
          if (typeof id === "string") record.id = id;
          if (res.status === 503) return;
        } catch (error) {
          record.error = (error as { code?: string }).code ?? String(error);
          return;
        }
        if (performance.now() > signalledAt + 5_000) return;
      }
    };
    const workers = Array.from({ length: 32 }, (_, w) => worker(w));
    while (sent.filter((s) => s.status !== undefined).length < 500) await new Promise((r) => setTimeout(r, 10));

    signalledAt = performance.now();
    setup.stet.child.kill("SIGTERM");
    await Promise.all(workers);
    expect(await setup.stet.exited).toBe(0);

    const before = sent.filter((s) => s.sentAt < signalledAt);
    expect(before.filter((s) => s.error !== undefined)).toEqual([]);
    for (const s of before) expect([200, 202, 503]).toContain(s.status);
    // Each connection got its answer: the last request of every worker was a 503 or a refused connect.
    expect(sent.filter((s) => s.status === 503).length).toBeGreaterThan(0);
    for (const s of sent.filter((x) => x.error !== undefined)) expect(s.error).toBe("ECONNREFUSED");

    setup.stet = await startStetProcess({ dataDir: setup.dataDir });
    const accepted = sent.filter((s) => s.id !== undefined).map((s) => s.id!);
    expect(await unfinished(setup.stet, accepted)).toEqual([]);
    let total = 0;
    for (let w = 0; w < 32; w++) {
      const res = await fetch(`${setup.stet.ingressUrl}/Counter/c${w}/get`, { method: "POST" });
      total += (await res.json()) as number;
    }
    // Nothing refused ran; everything accepted ran once.
    expect(total).toBe(new Set(accepted).size);
    setup.stet.child.kill("SIGTERM");
    expect(await setup.stet.exited).toBe(0);
  }, 90_000);
});
