import type { DemoStet } from "./demo-stet.js";

/** What the demo data made, for the screenshots to open. */
export interface DemoData {
  /** A completed order (calls, runs, a sleep, a send). */
  readonly order: string;
  /** An order that failed (out of stock). */
  readonly failedOrder: string;
  /** A handler asleep for an hour. */
  readonly napping: string;
  /** A payment retried with backoff. */
  readonly retrying: string;
  /** A workflow waiting for its promise. */
  readonly signup: string;
}

/** Invocations of every kind, so that each page has something real to show. */
export async function makeDemoData(stet: DemoStet): Promise<DemoData> {
  const items = ["apple", "pear", "plum", "fig", "kiwi"];
  let order = "";
  // Enough stock for the orders below, also when a kept data folder has sold it before.
  for (const item of items) await stet.call(`/Inventory/${item}/restock`, 100);
  for (let i = 0; i < 24; i++) {
    const result = await stet.call("/Shop/order", { item: items[i % items.length], quantity: 1 + (i % 3) });
    if (result.status !== 200) throw new Error(`a demo order failed: ${result.status} ${JSON.stringify(result.body)}`);
    order = result.id ?? order;
  }
  const failed = await stet.call("/Shop/order", { item: "durian", quantity: 9999 });
  for (const [key, item] of [
    ["ada", "apple"],
    ["ada", "tea"],
    ["grace", "compiler"],
    ["alan", "enigma"],
  ] as const) {
    await stet.call(`/Cart/${key}/add`, item);
  }
  const napping = await send(stet, "/Shop/nap/send");
  const retrying = await send(stet, "/Payments/settle/send", 42);
  const signup = await send(stet, "/Signup/ada@example.com/run/send", "ada@example.com");
  await send(stet, "/Signup/grace@example.com/run/send", "grace@example.com");
  await stet.call("/Signup/grace@example.com/confirm", "G-1906");
  return { order, failedOrder: failed.id ?? "", napping, retrying, signup };
}

async function send(stet: DemoStet, path: string, body?: unknown): Promise<string> {
  const result = await stet.call(path, body);
  const id = (result.body as { invocationId?: string }).invocationId;
  if (result.status !== 202 || id === undefined) throw new Error(`${path}: ${result.status} ${JSON.stringify(result.body)}`);
  return id;
}

/**
 * Orders placed over `minutes` (a few a minute, now and then one that fails), so that the overview's
 * chart of completions per minute has more than one bar.
 */
export async function placeOrders(stet: DemoStet, minutes: number): Promise<void> {
  const end = Date.now() + minutes * 60_000;
  const items = ["apple", "pear", "plum", "fig", "kiwi"];
  for (let i = 0; Date.now() < end; i++) {
    const failing = i % 7 === 3;
    await stet.call("/Shop/order", { item: failing ? "durian" : items[i % items.length], quantity: failing ? 9999 : 1 });
    await new Promise((resolve) => setTimeout(resolve, 4000 + ((i * 1777) % 5000)));
  }
}
