import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { killAll, startStetProcess, registerDeployment, startServiceProcess } from "../helpers/processes.js";
import { tempDir } from "../helpers/temp-dir.js";

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  killAll();
  dirs.splice(0).forEach((d) => d.remove());
});

const INVOCATIONS = 300;

describe("SIGTERM under load", () => {
  it("exits 0 in time with hundreds in flight; after restart every invocation completes, journaled runs are not re-run, object state is exact", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const logFile = path.join(dir.path, "log");
    const dataDir = path.join(dir.path, "data");
    const service = await startServiceProcess("test/e2e/fixtures/load-service.mjs", { LOG: logFile });
    const serviceUrl = service.url;

    let stet = await startStetProcess({ dataDir, shutdownTimeout: "10s" });
    const reg = await registerDeployment(stet.adminUrl, serviceUrl);
    expect(reg.status).toBe(201);

    const ids: string[] = [];
    for (let i = 0; i < INVOCATIONS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, INVOCATIONS - i) }, (_, j) =>
          fetch(`${stet.ingressUrl}/Load/work/send`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(i + j),
          }).then(async (r) => ((await r.json()) as { invocationId: string }).invocationId),
        ),
      );
      ids.push(...batch);
    }
    const lines = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").split("\n").filter(Boolean) : []);
    // Signal while work is mid-flight: some runs acknowledged, most invocations still sleeping or calling.
    while (lines().filter((l) => l.startsWith("acked")).length < INVOCATIONS / 3) await new Promise((r) => setTimeout(r, 10));

    const signalledAt = Date.now();
    stet.child.kill("SIGTERM");
    expect(await stet.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(10_000);

    // Every "acked" line was written after stet acknowledged the run result, i.e. after it was durable.
    const ackedBefore = new Map<string, string>();
    for (const line of lines()) {
      const [kind, id, token] = line.split(" ");
      if (kind === "acked") ackedBefore.set(id!, token!);
    }

    stet = await startStetProcess({ dataDir, shutdownTimeout: "10s" });
    const outputs = await Promise.all(
      ids.map(async (id) => {
        // A hang shows up as status 0 for the invocations concerned rather than as a test timeout.
        const res = await fetch(`${stet.ingressUrl}/restate/invocation/${id}/attach`, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
        if (res === undefined) return { id, status: 0, body: "" };
        return { id, status: res.status, body: (await res.json()) as string };
      }),
    );
    expect(outputs.filter((o) => o.status !== 200)).toEqual([]);

    const runs = new Map<string, string[]>();
    for (const line of lines()) {
      const [kind, id, token] = line.split(" ");
      if (kind === "run") runs.set(id!, [...(runs.get(id!) ?? []), token!]);
    }
    for (const [id, token] of ackedBefore) {
      expect(runs.get(id)).toEqual([token]);
      expect(outputs.find((o) => o.id === id)!.body).toBe(token);
    }
    // Every invocation returned the result of a run that was recorded for it.
    for (const o of outputs) expect(runs.get(o.id)).toContain(o.body);

    let total = 0;
    for (let k = 0; k < 10; k++) {
      total += (await (await fetch(`${stet.ingressUrl}/Tally/k${k}/get`, { method: "POST" })).json()) as number;
    }
    expect(total).toBe(INVOCATIONS);

    stet.child.kill("SIGTERM");
    expect(await stet.exited).toBe(0);
  }, 90_000);
});
