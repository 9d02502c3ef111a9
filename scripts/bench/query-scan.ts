// QUERY: W1 while a client runs a full scan of sys_journal every second, over a store that already holds
// `count` completed invocations. Reports W1's throughput alone and with the scans (and their ratio), and
// the scans' own latency. The scan is what `restate sql "SELECT * FROM sys_journal"` sends (Arrow IPC).
import type { Errors } from "./load.js";
import { burst, median, newErrors, noteError, percentile } from "./load.js";
import { registerDeployment, sleep, startServer, type RunningServer, type ServerKind, type StartOptions } from "./servers.js";
import { runWorkload, type Metrics, type ServiceProcess, type Settings } from "./workloads.js";

export interface QueryScanOutcome {
  readonly metrics: Metrics;
  readonly errors: Errors;
  readonly notes: string[];
}

const SCAN = "SELECT * FROM sys_journal";

export async function runQueryScan(
  kind: ServerKind,
  service: ServiceProcess,
  count: number,
  settings: Settings,
  dataDir: string,
  logFile: string,
  start: Pick<StartOptions, "nodeFlags" | "bin">,
): Promise<QueryScanOutcome> {
  const errors = newErrors();
  const notes: string[] = [];
  const m: Metrics = {};
  const server = await startServer(kind, { dataDir, logFile, ...start });
  try {
    await registerDeployment(server, service.url);
    await sleep(1000);
    const fill = await burst(server.ingressUrl, 64, count, (i) => ({ path: "/Bench/run1", body: String(i) }));
    for (const [k, v] of Object.entries(fill.errors.counts)) errors.counts[`fill ${k}`] = v;
    m["fillS"] = fill.elapsedS;
    // Warms the query path (stet starts its query process on the first query) and sizes the scan.
    const first = await scanOnce(server);
    m["scanRows"] = first.rows;
    m["scanMb"] = first.bytes / 1048576;
    notes.push(`first scan: ${first.rows} rows, ${(first.bytes / 1048576).toFixed(1)} MB in ${first.ms.toFixed(0)} ms`);

    // W1 alone, with scans, alone again: the mean of the two alone windows is the baseline, so that the
    // journal's growth during the runs weighs on both sides alike.
    const alone1 = (await runWorkload("W1", server, service, settings)).metrics["throughput"]!;
    const scans: number[] = [];
    let scanning = true;
    const scanner = (async () => {
      while (scanning) {
        const t0 = performance.now();
        try {
          scans.push((await scanOnce(server)).ms);
        } catch (error) {
          noteError(errors, "scan", error instanceof Error ? error.message : String(error));
        }
        await sleep(Math.max(0, 1000 - (performance.now() - t0)));
      }
    })();
    const withScans = await runWorkload("W1", server, service, settings);
    scanning = false;
    await scanner;
    const alone2 = (await runWorkload("W1", server, service, settings)).metrics["throughput"]!;
    const baseline = (alone1 + alone2) / 2;
    const sorted = [...scans].sort((a, b) => a - b);
    Object.assign(m, {
      w1AloneThroughput: baseline,
      w1WithScansThroughput: withScans.metrics["throughput"]!,
      throughputRatio: withScans.metrics["throughput"]! / baseline,
      w1WithScansP99: withScans.metrics["p99"]!,
      scans: scans.length,
      scanP50Ms: median(sorted),
      scanMaxMs: percentile(sorted, 100),
    });
    notes.push(`W1 alone ${alone1.toFixed(0)} and ${alone2.toFixed(0)} req/s; with scans ${withScans.metrics["throughput"]!.toFixed(0)} req/s`);
  } finally {
    await server.stop();
  }
  return { metrics: m, errors, notes };
}

/** One full scan, read to the end; its rows counted from the Arrow stream's record batch headers. */
async function scanOnce(server: RunningServer): Promise<{ ms: number; rows: number; bytes: number }> {
  const t0 = performance.now();
  const res = await fetch(`${server.adminUrl}/query`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: SCAN }) });
  if (res.status !== 200) throw new Error(`scan answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  const body = new Uint8Array(await res.arrayBuffer());
  const ms = performance.now() - t0;
  const { tableFromIPC } = await import("apache-arrow");
  return { ms, rows: tableFromIPC(body).numRows, bytes: body.length };
}
