import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(services: Parameters<typeof startEndpoint>[0], http: 1 | 2 = 2): Promise<{ stet: TestStet; endpoint: TestEndpoint }> {
  const endpoint = await startEndpoint(services, { http });
  cleanups.push(() => endpoint.close());
  const stet = await startTestStet();
  cleanups.push(() => stet.close());
  await stet.register(endpoint.url);
  return { stet, endpoint };
}

describe.each([2, 1] as const)("invocations over HTTP/%i", (http) => {
  it("runs a handler with ctx.run and returns its output", async () => {
    let runs = 0;
    const greeter = restate.service({
      name: "Greeter",
      handlers: {
        greet: async (ctx: restate.Context, name: string) => {
          const greeting = await ctx.run("compose", () => {
            runs++;
            return `Hello, ${name}!`;
          });
          return greeting;
        },
      },
    });
    const { stet } = await setup([greeter], http);

    const res = await stet.call("/Greeter/greet", "Ada");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-restate-id")).toMatch(/^inv_1[0-9A-Za-z]{33}$/);
    expect(await res.json()).toBe("Hello, Ada!");
    expect(runs).toBe(1);
  });

  it("retries a retryable failure and runs the ctx.run body exactly once", async () => {
    let runs = 0;
    let attempts = 0;
    const flaky = restate.service({
      name: "Flaky",
      handlers: {
        work: async (ctx: restate.Context) => {
          const value = await ctx.run("side effect", () => {
            runs++;
            return 41;
          });
          attempts++;
          if (attempts <= 2) throw new Error(`transient failure ${attempts}`);
          return value + 1;
        },
      },
    });
    const { stet } = await setup([flaky], http);

    const res = await stet.call("/Flaky/work");
    expect(res.status).toBe(200);
    expect(await res.json()).toBe(42);
    expect(runs).toBe(1);
    expect(attempts).toBe(3);
    const failures = stet.events.filter((e) => e.type === "attempt-failed");
    expect(failures).toHaveLength(2);
  });

  it("returns a terminal failure the way Restate does", async () => {
    const failing = restate.service({
      name: "Failing",
      handlers: {
        fail: async () => {
          throw new restate.TerminalError("bad thing", { errorCode: 409 });
        },
      },
    });
    const { stet } = await setup([failing], http);

    const res = await stet.call("/Failing/fail");
    expect(res.status).toBe(409);
    expect(res.headers.get("x-restate-error-source")).toBe("invocation");
    expect(await res.json()).toEqual({ code: 409, message: "bad thing", source: "invocation" });
  });
});
