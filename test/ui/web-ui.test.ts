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

/** How often the courier shipped: a restart from after the call must not ship again. */
let shipments = 0;

const courier = restate.service({
  name: "UiCourier",
  handlers: {
    ship: async (ctx: restate.Context, item: string) => ctx.run("label", () => `TRK-${++shipments}-${item}`),
    note: async (_ctx: restate.Context, _text: string) => undefined,
  },
});

const shop = restate.service({
  name: "UiShop",
  handlers: {
    order: async (ctx: restate.Context, item: string) => {
      await ctx.run("reserve stock", () => `reserved ${item}`);
      await ctx.run("charge card", () => 42);
      return `ordered ${item}`;
    },
    // Calls a courier, sleeps a moment, and sends a note: a journal with calls, a sleep and a send.
    deliver: async (ctx: restate.Context, item: string) => {
      await ctx.run("pack", () => `packed ${item}`);
      const tracking = await ctx.serviceClient(courier).ship(item);
      await ctx.sleep(20);
      ctx.serviceSendClient(courier).note(`sent ${item}`);
      return `delivered ${item} as ${tracking}`;
    },
    // Fails every attempt: stet retries it with backoff until someone kills it.
    settle: async (ctx: restate.Context) => {
      await ctx.run("call bank", () => {
        throw new Error("bank down");
      });
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
  endpoint = await startEndpoint([shop, courier], { http: 1 });
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
    expect(await row.locator("td").nth(1).textContent()).toBe("order, deliver, settle, nap");
    expect(await row.locator(".count").allTextContents()).toEqual(["completed 3"]);
    const deployment = page.locator("#deployments tbody tr");
    expect(await deployment.count()).toBe(1);
    expect(await deployment.textContent()).toContain(endpoint.url);

    // The chart counts the three orders in the last hour; the partitions are led here, each with its epoch.
    await page.locator(".chart-summary", { hasText: "3 succeeded" }).waitFor();
    expect(await page.locator(".chart-summary").textContent()).toBe("Last 60 minutes: 3 succeeded, 0 failed.");
    await page.getByText("As a table").click();
    expect(await page.locator(".chart-table tbody td").allTextContents()).toEqual([expect.stringMatching(/\d\d:\d\d/), "3", "0"]);
    const partitions = page.getByRole("list", { name: "Partitions" }).getByRole("listitem");
    await partitions.first().waitFor();
    expect(await page.getByText(/partitions led by this node/).textContent()).toMatch(/^8 of 8 partitions led by this node \(127\.0\.0\.1:\d+\)/);
    expect(await partitions.allTextContents()).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((p) => expect.stringMatching(new RegExp(`^${p}epoch [1-9]\\d*$`))));
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
    const entries = await journalRows(page);
    expect(entries).toEqual([
      ["Input", "", '"pear"', ""],
      ["Run", "reserve stock", "", '"reserved pear"'],
      ["notification Run", "", "completes entry 1", '"reserved pear"'],
      ["Run", "charge card", "", "42"],
      ["notification Run", "", "completes entry 3", "42"],
      ["Output", "", "", '"ordered pear"'],
    ]);
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

  it("filters by handler and idempotency key, sorts oldest first, and pages forward and back", async () => {
    const keyed = await stet.call("/UiShop/order", "kiwi", { "idempotency-key": "ui-order-7" });
    const kiwi = keyed.headers.get("x-restate-id")!;
    await page.goto(ui("invocations"));
    await page.locator("#invocations tbody tr").first().waitFor();
    await page.getByLabel("Idempotency key").fill("ui-order-7");
    await page.getByLabel("Idempotency key").press("Enter");
    await page.waitForURL((url) => url.searchParams.get("idempotency_key") === "ui-order-7");
    const rows = page.locator("#invocations tbody tr");
    await page.locator(`#invocations tbody tr[data-id="${kiwi}"]`).waitFor();
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-id")))).toEqual([kiwi]);

    // The orders (not the other handlers), oldest first, two a page: apple, pear | plum, fig | kiwi.
    await page.getByRole("button", { name: "Clear" }).click();
    await page.getByLabel("Handler").fill("order");
    await page.getByLabel("Handler").press("Enter");
    await page.waitForURL((url) => url.searchParams.get("handler") === "order");
    await page.getByLabel("Sort").selectOption("created_asc");
    await page.waitForURL((url) => url.searchParams.get("sort") === "created_asc");
    await page.goto(`${page.url()}&size=2`);
    const targets = async () => {
      await rows.first().waitFor();
      return rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-id")));
    };
    const pages: (string | null)[][] = [await targets()];
    const next = page.getByRole("button", { name: "Next" });
    while (await next.isEnabled()) {
      const before = pages.at(-1)![0]!;
      await next.click();
      await page.locator(`#invocations tbody tr:first-child:not([data-id="${before}"])`).waitFor();
      pages.push(await targets());
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual([orders[0], orders[1], orders[2], expect.stringMatching(/^inv_/), kiwi]);
    await page.getByRole("button", { name: "Previous" }).click();
    await page.locator(`#invocations tbody tr[data-id="${orders[2]}"]`).waitFor();
    expect(await targets()).toEqual(pages[1]);
    expect(await page.locator('th[aria-sort="ascending"]').textContent()).toBe("Created");
  });

  it("cancels a sleeping invocation after asking, and shows it end as canceled", async () => {
    const sent = await stet.call("/UiShop/nap/send");
    const { invocationId } = (await sent.json()) as { invocationId: string };
    await page.goto(ui(`invocations/${invocationId}`));
    await page.locator('[data-field="Status"] .status', { hasText: "suspended" }).waitFor();
    // The journal loads beside the status: wait for the entry rather than read the list at once.
    await page.locator("#journal li .entry-type", { hasText: "Sleep" }).waitFor();
    expect(await page.locator("#journal li", { hasText: "Sleep" }).locator(".entry-outcome").textContent()).toBe("waiting…");

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
    // A completed invocation can only be purged or restarted.
    expect(await page.getByRole("group", { name: "Actions" }).getByRole("button").allTextContents()).toEqual(["Purge", "Restart as new"]);
  });

  it("shows an invocation's calls as links, its journal as a timeline, and restarts it from an entry", async () => {
    const response = await stet.call("/UiShop/deliver", "lamp");
    const id = response.headers.get("x-restate-id")!;
    expect(await response.json()).toBe("delivered lamp as TRK-1-lamp");
    await page.goto(ui(`invocations/${id}`));
    const children = page.locator("#children tbody tr");
    await children.nth(1).waitFor();
    await page.locator("#journal li").nth(10).waitFor();
    expect(await children.evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].slice(1, 3).map((td) => td.textContent)))).toEqual([
      ["UiCourier/ship", "completed (success)"],
      ["UiCourier/note", "completed (success)"],
    ]);
    expect(await journalRows(page)).toEqual([
      ["Input", "", '"lamp"', ""],
      ["Run", "pack", "", '"packed lamp"'],
      ["notification Run", "", "completes entry 1", '"packed lamp"'],
      ["Call", "", '→ UiCourier/ship ("lamp")', '"TRK-1-lamp"'],
      ["notification CallInvocationId", "", expect.stringMatching(/^started inv_/), ""],
      ["notification Call", "", "completes entry 3", '"TRK-1-lamp"'],
      ["Sleep", "", expect.stringMatching(/^until /), "done"],
      ["notification Sleep", "", "completes entry 6", "done"],
      ["OneWayCall", "", '→ UiCourier/note ("sent lamp")', ""],
      ["notification CallInvocationId", "", expect.stringMatching(/^started inv_/), ""],
      ["Output", "", "", '"delivered lamp as TRK-1-lamp"'],
    ]);
    // The timing: the invocation, its call and send (the callees' lives), and its sleep's wake-up.
    expect(await page.getByRole("list", { name: "Timing" }).locator("[data-span]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-span")))).toEqual([
      "invocation",
      "call",
      "sleep",
      "send",
    ]);

    // The caller is a link on the callee's page.
    await page.locator("#journal li", { hasText: "UiCourier/ship" }).first().getByRole("link", { name: "UiCourier/ship" }).click();
    await page.locator('[data-field="Invoked by"] a').waitFor();
    expect(await page.locator('[data-field="Invoked by"] a').textContent()).toBe("UiShop/deliver");
    await page.locator('[data-field="Invoked by"] a').click();
    await page.waitForURL(ui(`invocations/${id}`));

    // Restarted from after the call: the courier is not asked again, its answer is reused.
    await page.getByRole("button", { name: "Restart from entry 3" }).click();
    const dialog = page.getByRole("dialog");
    expect(await dialog.locator("h2").textContent()).toBe("Restart as new from entry 3?");
    await dialog.getByRole("button", { name: "Restart", exact: true }).click();
    const status = page.getByRole("group", { name: "Actions" }).getByRole("status");
    await status.filter({ hasText: "Restarted from entry 3 as" }).waitFor();
    await status.getByRole("link").click();
    await page.locator('[data-field="Status"] .status', { hasText: "completed (success)" }).waitFor();
    expect(await page.locator("#journal li").last().locator(".entry-outcome").textContent()).toBe('"delivered lamp as TRK-1-lamp"');
    expect(shipments).toBe(1);
  });

  it("shows why an invocation retries, and kills it after asking", async () => {
    const sent = await stet.call("/UiShop/settle/send");
    const { invocationId } = (await sent.json()) as { invocationId: string };
    await page.goto(ui(`invocations/${invocationId}`));
    await page.locator('[data-field="Status"] .status', { hasText: "backing-off" }).waitFor();
    await page.locator('[data-field="Last failure"]').waitFor();
    expect(await page.locator('[data-field="Last failure"] .failure-text').textContent()).toMatch(/^\[500\] bank down/);
    expect(Number(await field(page, "Retry count"))).toBeGreaterThan(0);
    expect(await page.locator("#journal li", { hasText: "call bank" }).locator(".entry-outcome").textContent()).toBe("waiting…");

    await page.getByRole("group", { name: "Actions" }).getByRole("button", { name: "Kill" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Kill" }).click();
    await page.locator('[data-field="Status"] .status', { hasText: "completed (failure)" }).waitFor();
    expect(await field(page, "Failure")).toMatch(/^\[409\] kill/i);
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

/** The journal as the page shows it: type, name, detail and result of each entry. */
async function journalRows(page: Page): Promise<string[][]> {
  return page
    .locator("#journal li")
    .evaluateAll((items) => items.map((li) => [".entry-type", ".entry-name", ".entry-detail", ".entry-outcome"].map((c) => li.querySelector(c)?.textContent ?? "")));
}

/** The value shown beside a label in the invocation's details. */
async function field(page: Page, label: string): Promise<string | null> {
  return page.locator(`[data-field="${label}"] dd`).textContent();
}
