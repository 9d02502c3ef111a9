import * as restate from "@restatedev/restate-sdk";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type TestBrowser } from "../helpers/browser.js";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";

// The web UI in a real browser (Debian's chromium through playwright-core), against stet in this process
// and an official-SDK service. `npm test` builds the UI into dist/ui first. Each test reads the page as
// a person would: texts, rows and statuses. The tests run in order (as vitest runs a file) on one stet
// and one browser page.

const shop = restate.service({
  name: "UiShop",
  handlers: {
    order: async (ctx: restate.Context, item: string) => {
      await ctx.run("reserve stock", () => `reserved ${item}`);
      await ctx.run("charge card", () => 42);
      return `ordered ${item}`;
    },
    // Sleeps for an hour: suspended until someone cancels it.
    nap: async (ctx: restate.Context) => {
      await ctx.sleep(3_600_000);
      return "rested";
    },
  },
});

// Waits for what the page shows, not for time; generous, as two test workers share two cores.
const SEEN_MS = 20_000;

let endpoint: TestEndpoint;
let stet: TestStet;
let chromium: TestBrowser;
let page: Page;
const orders: string[] = [];

beforeAll(async () => {
  chromium = await launchChromium();
  // HTTP/1.1, request/response mode: the service suspends at its sleep at once (over HTTP/2 it would hold
  // the stream open until the inactivity timeout).
  endpoint = await startEndpoint([shop], { http: 1 });
  stet = await startTestStet();
  await stet.register(endpoint.url);
  const index = await fetch(`${stet.node.adminUrl}/ui/`);
  if (index.status !== 200) throw new Error(`the web UI is not served (${index.status}: ${await index.text()}); npm run build builds it into dist/ui`);
  for (const item of ["apple", "pear", "plum"]) {
    const response = await stet.call("/UiShop/order", item);
    expect(await response.json()).toBe(`ordered ${item}`);
    orders.push(response.headers.get("x-restate-id")!);
  }
  page = await chromium.context.newPage();
  page.setDefaultTimeout(SEEN_MS);
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await stet?.close();
  await endpoint?.close();
});

const ui = (path = "") => `${stet.node.adminUrl}/ui/${path}`;

describe("the web UI", () => {
  it("is served at /ui/ (from /ui too) and the overview lists the service with its invocations by status", async () => {
    const started = performance.now();
    await page.goto(`${stet.node.adminUrl}/ui`);
    expect(new URL(page.url()).pathname).toBe("/ui/");
    const row = page.locator("#services tbody tr", { hasText: "UiShop" });
    await row.locator(".count", { hasText: "completed" }).waitFor();
    console.log(`[web-ui] overview: first screen with counts in ${Math.round(performance.now() - started)} ms`);

    expect(await page.locator("h1").textContent()).toBe("Overview");
    expect(await row.locator("td").nth(0).textContent()).toBe("Service");
    expect(await row.locator("td").nth(1).textContent()).toBe("order, nap");
    expect(await row.locator(".count").allTextContents()).toEqual(["completed 3"]);
    const deployment = page.locator("#deployments tbody tr");
    expect(await deployment.count()).toBe(1);
    expect(await deployment.textContent()).toContain(endpoint.url);
  });

  it("finds one invocation by filters and shows its journal", async () => {
    const id = orders[1]!;
    await page.goto(ui("invocations"));
    await page.locator("#invocations tbody tr").first().waitFor();
    await page.getByLabel("Status").selectOption("completed");
    await page.getByLabel("Service").selectOption("UiShop");
    await page.getByLabel("Invocation id").fill(id);
    await page.getByLabel("Invocation id").press("Enter");

    await page.waitForURL((url) => url.searchParams.get("id") === id);
    const rows = page.locator("#invocations tbody tr");
    await rows.filter({ hasText: id }).waitFor();
    // The unfiltered list (which holds the id too) may still be on screen for a moment.
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.locator("td").allTextContents()).toEqual(expect.arrayContaining([id, "UiShop/order", "completed (success)"]));

    await rows.getByRole("link", { name: id }).click();
    await page.waitForURL(ui(`invocations/${id}`));
    await page.locator("#journal li").nth(3).waitFor();
    expect(await page.locator("h1").textContent()).toBe(id);
    expect(await field(page, "Target")).toBe("UiShop/order");
    expect(await field(page, "Status")).toBe("completed (success)");
    const entries = await page.locator("#journal li").evaluateAll((items) =>
      items.map((li) => `${li.querySelector(".entry-type")?.textContent} ${li.querySelector(".entry-name")?.textContent}`.trim()),
    );
    expect(entries).toEqual(expect.arrayContaining(["Command: Input", "Command: Run reserve stock", "Command: Run charge card", "Command: Output"]));
    expect(entries.indexOf("Command: Run reserve stock")).toBeLessThan(entries.indexOf("Command: Run charge card"));
  });

  it("shows a new invocation in the list without a reload (live refresh)", async () => {
    await page.goto(ui("invocations?service=UiShop"));
    const rows = page.locator("#invocations tbody tr");
    await rows.filter({ hasText: orders[0]! }).waitFor();
    const before = await rows.count();
    const response = await stet.call("/UiShop/order", "fig");
    const id = response.headers.get("x-restate-id")!;
    await rows.filter({ hasText: id }).waitFor();
    expect(await rows.count()).toBe(before + 1);
    // Newest first.
    expect(await rows.first().getAttribute("data-id")).toBe(id);
  });

  it("cancels a sleeping invocation after asking, and shows it end as canceled", async () => {
    const sent = await stet.call("/UiShop/nap/send");
    const { invocationId } = (await sent.json()) as { invocationId: string };
    await page.goto(ui(`invocations/${invocationId}`));
    await page.locator('[data-field="Status"] .status', { hasText: "suspended" }).waitFor();
    // The journal loads beside the status: wait for the entry rather than read the list at once.
    await page.locator("#journal li .entry-type", { hasText: "Command: Sleep" }).waitFor();

    await page.getByRole("group", { name: "Actions" }).getByRole("button", { name: "Cancel" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    expect(await dialog.locator("h2").textContent()).toBe("Cancel this invocation?");
    // The safe answer has the focus: Escape or Enter right away keeps the invocation.
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await field(page, "Status")).toBe("suspended");

    await page.getByRole("group", { name: "Actions" }).getByRole("button", { name: "Cancel" }).click();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await page.locator('[data-field="Status"] .status', { hasText: "completed (failure)" }).waitFor();
    expect(await field(page, "Failure")).toMatch(/^\[409\] cancel/i);
    // A completed invocation can only be purged.
    expect(await page.getByRole("group", { name: "Actions" }).getByRole("button").allTextContents()).toEqual(["Purge"]);
  });

  it("shows a failed action with stet's message", async () => {
    // Purged behind the page's back, while its live refresh is held (those queries get no answer), so it
    // still offers Purge: stet's 404 must reach the person.
    const id = orders[2]!;
    await page.goto(ui(`invocations/${id}`));
    await page.getByRole("button", { name: "Purge" }).waitFor();
    await page.route("**/query", () => undefined);
    try {
      const purged = await fetch(`${stet.node.adminUrl}/invocations/${id}/purge`, { method: "PATCH" });
      expect(purged.status).toBe(200);
      await page.getByRole("button", { name: "Purge" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Purge" }).click();
      const alert = page.getByRole("alert").filter({ hasText: "The action failed" });
      await alert.waitFor();
      expect(await alert.textContent()).toBe(`The action failed: PATCH /invocations/${id}/purge failed (404): The requested invocation '${id}' does not exist`);
    } finally {
      await page.unrouteAll({ behavior: "ignoreErrors" });
    }
  });

  it("runs a query in the SQL console (Ctrl+Enter) and lists the tables with their columns", async () => {
    await page.goto(ui("sql"));
    const [first, second] = [orders[0]!, orders[1]!];
    await page.getByLabel(/^Query/).fill(`SELECT id, target, status FROM sys_invocation WHERE id IN ('${first}', '${second}') ORDER BY created_at`);
    await page.getByLabel(/^Query/).press("Control+Enter");
    await page.getByRole("status").filter({ hasText: "rows in" }).waitFor();
    expect(await page.getByRole("status").filter({ hasText: "rows in" }).textContent()).toMatch(/^2 rows in \d+ ms$/);
    expect(await page.locator("table.data thead th").allTextContents()).toEqual(["id", "target", "status"]);
    const cells = await page.locator("table.data tbody tr").evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent)));
    expect(cells).toEqual([
      [first, "UiShop/order", "completed"],
      [second, "UiShop/order", "completed"],
    ]);

    const journalTable = page.locator("ul.tables details", { hasText: "sys_journal" }).first();
    await journalTable.locator("summary").click();
    expect(await journalTable.locator("ul.columns").textContent()).toContain("entry_type");
  });

  it("shows a failed query with stet's message", async () => {
    await page.goto(ui("sql"));
    await page.getByLabel(/^Query/).fill("SELECT nope FROM no_such_table");
    await page.getByRole("button", { name: "Run" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^The query failed: POST \/query failed \(\d{3}\): .*no_such_table/);
  });

  it("follows the system's dark theme", async () => {
    // A string, run in the page: the tests' own TypeScript has no DOM types.
    const background = () => page.evaluate<string>("getComputedStyle(document.documentElement).backgroundColor");
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto(ui());
    expect(await background()).toBe("rgb(255, 255, 255)");
    await page.emulateMedia({ colorScheme: "dark" });
    expect(await background()).toBe("rgb(21, 24, 29)");
  });
});

/** The value shown beside a label in the invocation's details. */
async function field(page: Page, label: string): Promise<string | null> {
  return page.locator(`[data-field="${label}"] dd`).textContent();
}
