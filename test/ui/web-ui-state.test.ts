import * as restate from "@restatedev/restate-sdk";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type TestBrowser } from "../helpers/browser.js";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";

// The state page in a real browser: an object's state shown, edited and cleared through the UI, and the
// object's own handler reading what the person saved.

const cart = restate.object({
  name: "UiCart",
  handlers: {
    add: async (ctx: restate.ObjectContext, item: string) => {
      const items = (await ctx.get<string[]>("items")) ?? [];
      ctx.set("items", [...items, item]);
      ctx.set("owner", ctx.key);
      return items.length + 1;
    },
    items: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<string[]>("items")) ?? []),
  },
});

const SEEN_MS = 20_000;

let endpoint: TestEndpoint;
let stet: TestStet;
let chromium: TestBrowser;
let page: Page;

beforeAll(async () => {
  chromium = await launchChromium();
  endpoint = await startEndpoint([cart], { http: 1 });
  stet = await startTestStet();
  await stet.register(endpoint.url);
  for (const [key, item] of [
    ["ada", "apple"],
    ["ada", "pear"],
    ["bob", "fig"],
  ] as const) {
    expect((await stet.call(`/UiCart/${key}/add`, item)).status).toBe(200);
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

/** The value cells of the state table, by key, as the page shows them. */
async function shownState(): Promise<Record<string, string>> {
  const rows = await page.locator("#state-entries tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-key"), tr.querySelector("pre")?.textContent]));
  return Object.fromEntries(rows);
}

describe("the state page", () => {
  it("lists the objects with state and shows one object's values, JSON pretty-printed", async () => {
    await page.goto(ui("state"));
    await page.locator("#keyed-services tbody tr", { hasText: "UiCart" }).getByRole("link", { name: "UiCart" }).click();
    await page.locator("#objects tbody tr").nth(1).waitFor();
    expect(await page.locator("#objects tbody tr th").allTextContents()).toEqual(["ada", "bob"]);
    expect(await page.locator('#objects tr[data-key="ada"] td').first().textContent()).toBe("2");

    await page.getByRole("link", { name: "ada" }).click();
    await page.locator("#state-entries").waitFor();
    expect(await page.locator("h1").textContent()).toBe("UiCart / ada");
    expect(await shownState()).toEqual({ items: '[\n  "apple",\n  "pear"\n]', owner: '"ada"' });
    expect(await page.locator('#state-entries tr[data-key="items"] .value-meta').textContent()).toBe("JSON · 16 bytes");
  });

  it("saves an edited state, shows the new value, and the object's handler reads it", async () => {
    await page.goto(ui("state/UiCart?key=ada"));
    await page.getByRole("button", { name: "Edit state" }).click();
    const items = page.getByLabel("Value of items");
    expect(await items.inputValue()).toBe('[\n  "apple",\n  "pear"\n]');
    await items.fill('["kiwi", "mango"]');
    // A new entry, typed as text; a bad JSON value is refused in the page before anything is sent.
    await page.getByRole("button", { name: "Add entry" }).click();
    const editor = page.getByRole("form", { name: "Edit state" });
    await editor.getByLabel("Key").last().fill("note");
    await editor.getByLabel("Value of note").fill("{not json");
    await page.getByRole("button", { name: "Save state" }).click();
    const refused = editor.getByRole("alert");
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/^The state was not saved: "note": not valid JSON: /);
    await editor.getByLabel("Format").last().selectOption("text");
    await page.getByRole("button", { name: "Save state" }).click();

    await page.getByRole("status").filter({ hasText: "Saved: applied." }).waitFor();
    expect(await shownState()).toEqual({ items: '[\n  "kiwi",\n  "mango"\n]', note: "{not json", owner: '"ada"' });
    const read = await stet.call("/UiCart/ada/items");
    expect(await read.json()).toEqual(["kiwi", "mango"]);
    // And the object goes on from there.
    expect(await (await stet.call("/UiCart/ada/add", "plum")).json()).toBe(3);
  });

  it("refuses to save over a state that changed while it was being edited", async () => {
    await page.goto(ui("state/UiCart?key=bob"));
    await page.getByRole("button", { name: "Edit state" }).click();
    await page.getByLabel("Value of items").fill('["nothing"]');
    expect((await stet.call("/UiCart/bob/add", "date")).status).toBe(200);
    const warning = page.getByRole("alert").filter({ hasText: "The state changed since you started editing" });
    await warning.waitFor();
    await page.getByRole("button", { name: "Save state" }).click();
    await page.getByRole("status").filter({ hasText: "Saved: not applied." }).waitFor();
    expect(await (await stet.call("/UiCart/bob/items")).json()).toEqual(["fig", "date"]);
  });

  it("clears an object's state after asking", async () => {
    await page.goto(ui("state/UiCart?key=bob"));
    await page.getByRole("button", { name: "Clear state" }).click();
    const dialog = page.getByRole("dialog");
    expect(await dialog.locator("h2").textContent()).toBe("Clear the state of UiCart / bob?");
    await dialog.getByRole("button", { name: "Clear state" }).click();
    await page.getByRole("status").filter({ hasText: "Cleared: applied." }).waitFor();
    expect(await page.locator(".empty").textContent()).toBe("This key has no state.");
    expect(await (await stet.call("/UiCart/bob/items")).json()).toEqual([]);
  });
});
