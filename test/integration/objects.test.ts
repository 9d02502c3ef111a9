import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { startEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(services: Parameters<typeof startEndpoint>[0], http: 1 | 2 = 2): Promise<TestStet> {
  const endpoint = await startEndpoint(services, { http });
  cleanups.push(() => endpoint.close());
  const stet = await startTestStet();
  cleanups.push(() => stet.close());
  await stet.register(endpoint.url);
  return stet;
}

// Entry and exit of each `add`, recorded in ctx.run steps (run once, never on replay), so overlapping
// exclusive handlers would show up as two enters in a row.
const trace: string[] = [];
const counter = restate.object({
  name: "Counter",
  handlers: {
    add: async (ctx: restate.ObjectContext, delta: number) => {
      await ctx.run("enter", () => void trace.push(`enter ${ctx.key}`));
      const current = (await ctx.get<number>("count")) ?? 0;
      await ctx.sleep(1);
      ctx.set("count", current + delta);
      await ctx.run("exit", () => void trace.push(`exit ${ctx.key}`));
      return current + delta;
    },
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("count")) ?? 0),
    keys: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.stateKeys()).sort()),
    reset: async (ctx: restate.ObjectContext) => {
      ctx.set("other", "x");
      ctx.clearAll();
    },
    slow: async (ctx: restate.ObjectContext, ms: number) => {
      await ctx.sleep(ms);
      return "slept";
    },
  },
});

describe.each([2, 1] as const)("virtual objects over HTTP/%i", (http) => {
  it("runs 40 concurrent exclusive calls on one key one at a time, with an exact total", async () => {
    const stet = await setup([counter], http);
    trace.length = 0;
    const results = await Promise.all(Array.from({ length: 40 }, () => stet.call("/Counter/k1/add", 1).then((r) => r.json())));
    expect([...(results as number[])].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(trace).toEqual(Array.from({ length: 40 }, () => ["enter k1", "exit k1"]).flat());
    expect(await (await stet.call("/Counter/k1/get")).json()).toBe(40);
    // Another key is independent.
    expect(await (await stet.call("/Counter/k2/get")).json()).toBe(0);
  });

  it("answers a shared handler while an exclusive one sleeps", async () => {
    const stet = await setup([counter], http);
    await stet.call("/Counter/k3/add", 5);
    const sleeping = stet.call("/Counter/k3/slow", 1500);
    const started = Date.now();
    const shared = await stet.call("/Counter/k3/get");
    expect(await shared.json()).toBe(5);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await (await sleeping).json()).toBe("slept");
  });

  it("lists and clears state", async () => {
    const stet = await setup([counter], http);
    await stet.call("/Counter/k4/add", 2);
    expect(await (await stet.call("/Counter/k4/keys")).json()).toEqual(["count"]);
    await stet.call("/Counter/k4/reset");
    expect(await (await stet.call("/Counter/k4/keys")).json()).toEqual([]);
    expect(await (await stet.call("/Counter/k4/get")).json()).toBe(0);
  });
});
