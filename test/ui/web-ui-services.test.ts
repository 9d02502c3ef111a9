import * as restate from "@restatedev/restate-sdk";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, type TestBrowser } from "../helpers/browser.js";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";

// The services and deployments page in a real browser: a deployment registered and removed from the UI,
// a service's handlers with their schemas, and its options changed.

const ORDER_SCHEMA = { type: "object", title: "Order", properties: { item: { type: "string" }, quantity: { type: "integer" } }, required: ["item"] };

const kitchen = restate.service({
  name: "UiKitchen",
  handlers: {
    cook: restate.handlers.handler(
      { input: new restate.serde.JsonSerde<{ item: string; quantity?: number }>(ORDER_SCHEMA), description: "Cooks one order." },
      async (_ctx: restate.Context, order: { item: string; quantity?: number }) => `${order.quantity ?? 1} × ${order.item}`,
    ),
  },
});

const pantry = restate.object({
  name: "UiPantry",
  handlers: {
    count: async (ctx: restate.ObjectContext) => (await ctx.get<number>("count")) ?? 0,
    // Fails every attempt: stet keeps retrying it on this deployment.
    spoil: async () => {
      throw new Error("mould");
    },
  },
});

const SEEN_MS = 20_000;

let kitchenEndpoint: TestEndpoint;
let pantryEndpoint: TestEndpoint;
let stet: TestStet;
let chromium: TestBrowser;
let page: Page;

beforeAll(async () => {
  chromium = await launchChromium();
  kitchenEndpoint = await startEndpoint([kitchen], { http: 1 });
  pantryEndpoint = await startEndpoint([pantry], { http: 1 });
  stet = await startTestStet();
  page = await chromium.context.newPage();
  page.setDefaultTimeout(SEEN_MS);
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await stet?.close();
  await kitchenEndpoint?.close();
  await pantryEndpoint?.close();
});

const ui = (path = "") => `${stet.node.adminUrl}/ui/${path}`;

async function register(url: string, http11: boolean): Promise<void> {
  await page.getByLabel("Endpoint URL").fill(url);
  if (http11) await page.getByLabel("HTTP/1.1 (request/response)").check();
  await page.getByRole("button", { name: "Register" }).click();
}

describe("the services and deployments page", () => {
  it("registers a deployment by URL, and lists its services", async () => {
    await page.goto(ui("services"));
    await page.getByText("No services yet").waitFor();
    await register(kitchenEndpoint.url, true);
    const done = page.getByRole("status").filter({ hasText: /^Registered dp_/ });
    await done.waitFor();
    expect(await done.textContent()).toMatch(/^Registered dp_\w+ with UiKitchen\.$/);
    const service = page.locator('#service-list tr[data-service="UiKitchen"]');
    await service.waitFor();
    expect(await service.locator("td").allTextContents()).toEqual(["Service", "cook", "1", "yes", expect.stringMatching(/^dp_/)]);
    const deployment = page.locator("#deployment-list tbody tr");
    expect(await deployment.count()).toBe(1);
    // stet keeps the address as a URL, with its path.
    expect(await deployment.locator("td").nth(1).textContent()).toBe(`${kitchenEndpoint.url}/`);
    expect(await deployment.locator("td").nth(2).textContent()).toBe("RequestResponse, HTTP/1.1");
    // And the service answers through the ingress.
    expect(await (await stet.call("/UiKitchen/cook", { item: "soup", quantity: 2 })).json()).toBe("2 × soup");
  });

  it("shows stet's message when a registration fails", async () => {
    await page.goto(ui("services"));
    await register("http://127.0.0.1:1", true);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^The deployment was not registered: POST \/deployments failed \(\d{3}\): .+/);
  });

  it("shows a service's handlers with their types and schemas", async () => {
    await page.goto(ui("services"));
    await page.getByRole("link", { name: "UiKitchen" }).click();
    await page.locator("#handlers").waitFor();
    expect(await page.locator("h1").textContent()).toBe("UiKitchen");
    const cook = page.locator('#handlers tr[data-handler="cook"]');
    expect(await cook.locator("th").textContent()).toBe("cookCooks one order.");
    expect(await cook.locator('[data-part="input"] .payload').textContent()).toBe("JSON 'Order'");
    await cook.getByLabel("Input schema of cook").click();
    expect(JSON.parse((await cook.locator('[data-part="input"] pre').textContent())!)).toEqual(ORDER_SCHEMA);
    expect(await cook.locator('[data-part="output"] .payload').textContent()).toBe("application/json");
  });

  it("changes a service's options and shows them as stet keeps them", async () => {
    await page.goto(ui("services/UiKitchen"));
    const form = page.getByRole("form", { name: "Service options" });
    await form.waitFor();
    expect(await form.getByLabel("Journal retention").inputValue()).toBe("1d");
    await form.getByLabel("Journal retention").fill("2 hours");
    await form.getByLabel("Abort timeout").fill("PT90S");
    await form.getByLabel("Public").uncheck();
    await form.getByRole("button", { name: "Save options" }).click();
    await form.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    expect(await form.getByRole("status").textContent()).toBe("Saved: public, journal_retention, abort_timeout.");
    // As stet prints it once the page has reloaded the service (a string, run in the page: no DOM types here).
    await page.waitForFunction(`document.querySelector('input[name="journal_retention"]')?.value === "2h"`);
    expect(await form.getByLabel("Abort timeout").inputValue()).toBe("1m 30s");
    const stored = (await (await fetch(`${stet.node.adminUrl}/services/UiKitchen`)).json()) as { public: boolean; journal_retention: string };
    expect(stored).toMatchObject({ public: false, journal_retention: "2h" });

    await form.getByLabel("Idempotency retention").fill("soon");
    await form.getByRole("button", { name: "Save options" }).click();
    const alert = form.getByRole("alert");
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^The options were not saved: PATCH \/services\/UiKitchen failed \(400\): .*idempotency_retention/);
  });

  it("removes a deployment after asking, with its pinned invocations counted", async () => {
    await page.goto(ui("services"));
    await register(pantryEndpoint.url, true);
    const row = page.locator("#deployment-list tbody tr", { hasText: pantryEndpoint.url });
    await row.waitFor();
    expect(await stet.call("/UiPantry/shelf/spoil/send").then((r) => r.status)).toBe(202);
    await row.locator('[data-count="last-attempt"]', { hasText: "1" }).waitFor();
    expect(await row.locator('[data-count="pinned"]').textContent()).toBe("0");
    await row.getByRole("button", { name: `Remove ${pantryEndpoint.url}/` }).click();
    const dialog = page.getByRole("dialog");
    expect(await dialog.locator("h2").textContent()).toBe(`Remove the deployment at ${pantryEndpoint.url}/?`);
    expect(await dialog.textContent()).toContain("Invocations bound to it: 0 pinned, 1 whose last attempt ran on it.");
    await dialog.getByRole("button", { name: "Remove" }).click();
    await page.getByRole("status").filter({ hasText: /^Removed dp_/ }).waitFor();
    await row.waitFor({ state: "detached" });
    expect(await page.locator("#deployment-list tbody tr").count()).toBe(1);
    await page.locator('#service-list tr[data-service="UiPantry"]').waitFor({ state: "detached" });
  });
});
