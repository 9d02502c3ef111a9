import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { ClusterSummary } from "../../scripts/chaos/cluster.js";

// `npm run chaos -- --cluster 3` as the script runs (the built dist/scripts/chaos/soak.js), briefly: three
// nodes on a throwaway PostgreSQL, at least one kill -9 and one SIGSTOP past the lease under load.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const running = new Set<ReturnType<typeof spawn>>();

afterEach(() => {
  // SIGTERM: the driver stops its nodes, service and PostgreSQL before it exits (SIGKILL would leave them).
  for (const child of running) child.kill("SIGTERM");
});

function runChaos(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["dist/scripts/chaos/soak.js", ...args], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      running.delete(child);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe("npm run chaos -- --cluster 3", () => {
  it("a short run with kills and pauses: nothing lost, no side effect twice, counters exact, partitions led again", async () => {
    // 12 s of load; a fault of each kind is due 2 to 6 s after the start, one at a time.
    const run = await runChaos(["--cluster", "3", "--minutes", "0.2", "--rate", "8", "--kill-every", "4", "--pause-every", "4", "--lease-ttl", "2s", "--partitions", "4", "--settle", "30"]);
    const json = run.stdout.slice(run.stdout.indexOf("{"));
    expect(json, `no summary; stderr:\n${run.stderr}`).not.toBe("");
    const summary = JSON.parse(json) as ClusterSummary;
    const report = JSON.stringify(summary, null, 2);
    expect(summary.kills, report).toBeGreaterThanOrEqual(1);
    expect(summary.pauses, report).toBeGreaterThanOrEqual(1);
    expect(summary.accepted, report).toBeGreaterThan(0);
    expect(summary.unanswered, report).toBe(0);
    expect(summary.lost, report).toBe(0);
    expect(summary.duplicates, report).toBe(0);
    expect(summary.unacceptedRuns, report).toBe(0);
    expect(summary.countersExact, report).toBe(true);
    expect(summary.failover.samples, report).toBeGreaterThanOrEqual(2);
    expect(summary.failover.missed, report).toBe(0);
    expect(run.code, report).toBe(0);
  }, 180_000);

  it("refuses a bad option with the usage, starting nothing", async () => {
    const run = await runChaos(["--cluster", "1"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("at least 2 nodes");
    expect(run.stderr).toContain("npm run chaos --");
  });
});
