/**
 * The web UI with many invocations in the store: fills a fresh stet with N invocations of a no-op handler
 * (plus the demo data), then measures in chromium how long the first screens take, and how long the
 * list's statements take through POST /query. Prints the numbers; asserts nothing.
 *
 *   npm run ui:load -- --invocations 100000 [--data-dir /tmp/stet-100k]
 *
 * With --data-dir the store is kept, and a later run with the same folder measures at once (it fills only
 * what is missing).
 */
import { parseArgs } from "node:util";
import { burst } from "../bench/load.js";
import { launchChromium } from "../lib/chromium.js";
import { makeDemoData } from "./demo-data.js";
import { startDemoStet, type DemoStet } from "./demo-stet.js";
import { measureUi } from "./ui-timings.js";

const { values } = parseArgs({
  options: { invocations: { type: "string", default: "100000" }, concurrency: { type: "string", default: "64" }, "data-dir": { type: "string" } },
});
const total = Number(values.invocations);
const concurrency = Number(values.concurrency);

const stet = await startDemoStet(values["data-dir"] === undefined ? {} : { dataDir: values["data-dir"] });
try {
  const demo = await makeDemoData(stet);
  const missing = total - ((await query<{ n: number }>(stet.adminUrl, "SELECT COUNT(*) AS n FROM sys_invocation_status WHERE target_service_name = 'Noop'"))[0]?.n ?? 0);
  if (missing > 0) {
    const filled = await fill(stet, missing, concurrency);
    console.log(`filled: ${missing} invocations sent in ${filled.sendS.toFixed(1)} s, all completed after ${filled.doneS.toFixed(1)} s (${Math.round(missing / filled.doneS)}/s)`);
  }
  console.log(`store: ${await countAll(stet)} invocations`);
  const browser = await launchChromium({ viewport: { width: 1400, height: 900 } });
  try {
    const ui = await measureUi(browser.context, stet.adminUrl, demo.order);
    report(`the web UI with ${await countAll(stet)} invocations stored, in chromium (ms, from navigation or click until the content is shown)`, ui);
  } finally {
    await browser.close();
  }
} finally {
  await stet.close();
}

async function fill(target: DemoStet, count: number, inFlight: number): Promise<{ sendS: number; doneS: number }> {
  const started = performance.now();
  const sent = await burst(target.ingressUrl, inFlight, count, () => ({ path: "/Noop/ping/send", body: "" }));
  const failures = Object.values(sent.errors.counts).reduce((a, b) => a + b, 0);
  if (failures > 0) throw new Error(`${failures} sends failed: ${sent.errors.samples.join("; ")}`);
  const sendS = (performance.now() - started) / 1000;
  for (;;) {
    const open = await query<{ n: number }>(target.adminUrl, "SELECT COUNT(*) AS n FROM sys_invocation_status WHERE target_service_name = 'Noop' AND status != 'completed'");
    if ((open[0]?.n ?? 0) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return { sendS, doneS: (performance.now() - started) / 1000 };
}

async function countAll(target: DemoStet): Promise<number> {
  return (await query<{ n: number }>(target.adminUrl, "SELECT COUNT(*) AS n FROM sys_invocation_status"))[0]?.n ?? 0;
}

async function query<T>(adminUrl: string, sql: string): Promise<T[]> {
  const response = await fetch(`${adminUrl}/query`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify({ query: sql }) });
  if (!response.ok) throw new Error(`${sql}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { rows: T[] }).rows;
}

function report(title: string, rows: ReadonlyArray<readonly [string, number]>): void {
  console.log(`\n${title}`);
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, ms] of rows) console.log(`  ${label.padEnd(width)}  ${Math.round(ms).toString().padStart(6)}`);
}
