/**
 * npm run ui:screenshots: starts stet with the demo services and data, and writes a screenshot of every
 * page of the web UI, light and dark, into docs/ui/ (linked from the README).
 *
 *   npm run ui:screenshots -- [--out docs/ui] [--minutes 3]
 *
 * --minutes spreads the demo orders over that many minutes, so the overview's chart has a history.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { launchChromium } from "../lib/chromium.js";
import { makeDemoData, placeOrders, type DemoData } from "./demo-data.js";
import { REPO_ROOT, startDemoStet } from "./demo-stet.js";

const { values } = parseArgs({ options: { out: { type: "string", default: path.join(REPO_ROOT, "docs", "ui") }, minutes: { type: "string", default: "3" } } });
const out = path.resolve(values.out);
mkdirSync(out, { recursive: true });

interface Shot {
  readonly name: string;
  readonly path: (demo: DemoData) => string;
  /** What must be on screen before the picture is taken. */
  readonly ready: (page: Page) => Promise<unknown>;
  /** Something to do first (run a query, open an editor). */
  readonly act?: (page: Page) => Promise<unknown>;
}

const SHOTS: readonly Shot[] = [
  { name: "overview", path: () => "", ready: (p) => Promise.all([p.locator("#services .count").first().waitFor(), p.locator(".chart-bar rect.chart-succeeded").first().waitFor(), p.locator("#partitions li").first().waitFor()]) },
  { name: "invocations", path: () => "invocations?size=20", ready: (p) => p.locator("#invocations tbody tr").nth(19).waitFor() },
  { name: "invocation", path: (d) => `invocations/${d.order}`, ready: (p) => Promise.all([p.locator("#journal li").nth(10).waitFor(), p.locator("#children tbody tr").nth(1).waitFor()]) },
  { name: "invocation-retrying", path: (d) => `invocations/${d.retrying}`, ready: (p) => p.locator('[data-field="Last failure"]').waitFor() },
  { name: "services", path: () => "services", ready: (p) => p.locator("#deployment-list tbody tr").first().waitFor() },
  { name: "service", path: () => "services/Shop", ready: (p) => p.locator("#handlers").waitFor(), act: (p) => p.getByLabel("Input schema of order").click() },
  { name: "state", path: () => "state/Cart", ready: (p) => p.locator("#objects tbody tr").first().waitFor() },
  { name: "state-object", path: () => "state/Inventory?key=apple", ready: (p) => p.locator("#state-entries").waitFor() },
  { name: "state-edit", path: () => "state/Cart?key=ada", ready: (p) => p.getByRole("form", { name: "Edit state" }).waitFor(), act: (p) => p.getByRole("button", { name: "Edit state" }).click() },
  {
    name: "sql",
    path: () => "sql",
    ready: (p) => p.locator("table.data tbody tr").first().waitFor(),
    act: async (p) => {
      await p.getByLabel(/^Query/).fill("SELECT target_service_name, status, COUNT(*) AS n FROM sys_invocation GROUP BY 1, 2 ORDER BY 1, 2");
      await p.getByLabel(/^Query/).press("Control+Enter");
      await p.locator("ul.tables details summary", { hasText: "sys_invocation" }).first().click();
    },
  },
];

const stet = await startDemoStet();
try {
  const demo = await makeDemoData(stet);
  const minutes = Number(values.minutes);
  if (minutes > 0) {
    console.log(`placing orders over ${minutes} minutes, for the chart…`);
    await placeOrders(stet, minutes);
  }
  const browser = await launchChromium({ viewport: { width: 1360, height: 860 } });
  try {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(30_000);
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const shot of SHOTS) {
        await page.goto(`${stet.adminUrl}/ui/${shot.path(demo)}`);
        if (shot.act !== undefined) await shot.act(page);
        await shot.ready(page);
        // Times and the "updated" line settle; no request is pending.
        await page.waitForLoadState("networkidle").catch(() => undefined);
        const file = path.join(out, `${shot.name}-${scheme}.png`);
        await page.screenshot({ path: file, fullPage: true });
        console.log(`wrote ${path.relative(REPO_ROOT, file)}`);
      }
    }
  } finally {
    await browser.close();
  }
} finally {
  await stet.close();
}
