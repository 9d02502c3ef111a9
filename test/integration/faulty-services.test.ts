import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it } from "vitest";
import type { InvocationId } from "../../protocol/index.js";
import { FAULTS, startFaultyEndpoint, type Fault } from "../helpers/faulty-endpoint.js";
import { startEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet } from "../helpers/stet.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const healthy = restate.service({ name: "Healthy", handlers: { ping: async () => "pong" } });

describe("services that break the protocol", () => {
  it("fails and retries only the attempt, pauses after the policy's attempts, and stays healthy", async () => {
    const faulty = await startFaultyEndpoint(3);
    cleanups.push(() => faulty.close());
    const good = await startEndpoint([healthy]);
    cleanups.push(() => good.close());
    const stet = await startTestStet();
    cleanups.push(() => stet.close());
    await stet.register(faulty.url);
    await stet.register(good.url);

    const ids = new Map<Fault, InvocationId>();
    for (const fault of FAULTS) {
      const res = await stet.call(`/Faulty/${fault}/send`);
      expect(res.status).toBe(202);
      ids.set(fault, ((await res.json()) as { invocationId: InvocationId }).invocationId);
    }
    for (const [fault, id] of ids) {
      await stet.waitFor((e) => e.type === "invocation-left" && e.invocationId === id);
      const record = stet.node.partitions.getInvocation(id)!;
      expect({ fault, status: record.status, retries: record.retryCount }).toEqual({ fault, status: "paused", retries: 3 });
      expect(record.lastFailure).toBeTruthy();
      expect(faulty.invocations.get(fault)).toBe(3);
    }
    const failures = stet.events.filter((e) => e.type === "attempt-failed").map((e) => (e as { failure: string }).failure);
    expect(failures.some((f) => /HTTP 500/.test(f))).toBe(true);
    expect(failures.some((f) => /protocol violation/.test(f))).toBe(true);
    expect(failures.some((f) => /End without an OutputCommand/.test(f))).toBe(true);

    // The engine is unharmed: other services work, and the admin API answers.
    expect(await (await stet.call("/Healthy/ping")).json()).toBe("pong");
    expect((await fetch(`${stet.node.adminUrl}/health`)).status).toBe(200);
  });

  it("fails the attempt on a journal mismatch reported by the SDK and retries", async () => {
    let attempt = 0;
    const changing = restate.service({
      name: "Changing",
      handlers: {
        // The code takes another path on the retry than the one its journal recorded.
        work: async (ctx: restate.Context) => {
          attempt++;
          if (attempt === 1) {
            await ctx.run("first path", () => "a");
            throw new Error("retry me");
          }
          if (attempt === 2) await ctx.sleep(1);
          return "settled";
        },
      },
      options: { retryPolicy: { initialInterval: 10, maxAttempts: 5 } },
    });
    const endpoint = await startEndpoint([changing]);
    cleanups.push(() => endpoint.close());
    const stet = await startTestStet();
    cleanups.push(() => stet.close());
    await stet.register(endpoint.url);

    const res = await stet.call("/Changing/work/send");
    const { invocationId } = (await res.json()) as { invocationId: InvocationId };
    await stet.waitFor((e) => e.type === "attempt-failed" && e.invocationId === invocationId && /570|mismatch/i.test(e.failure));
    expect((await fetch(`${stet.node.adminUrl}/health`)).status).toBe(200);
  });

  it("survives the service process dying mid-invocation and finishes once it is back", async () => {
    let release: (() => void) | undefined;
    const held = new Promise<void>((r) => (release = r));
    let calls = 0;
    const slow = restate.service({
      name: "Slow",
      handlers: {
        work: async (ctx: restate.Context) => {
          calls++;
          const step = await ctx.run("step", () => "journaled");
          if (calls === 1) await held;
          return step;
        },
      },
      options: { retryPolicy: { initialInterval: 20, maxAttempts: 50 } },
    });
    let endpoint = await startEndpoint([slow]);
    const port = Number(new URL(endpoint.url).port);
    const stet = await startTestStet();
    cleanups.push(() => stet.close());
    await stet.register(endpoint.url);

    const { invocationId } = (await (await stet.call("/Slow/work/send")).json()) as { invocationId: InvocationId };
    while (calls === 0) await new Promise((r) => setTimeout(r, 10));
    await endpoint.close();
    await stet.waitFor((e) => e.type === "attempt-failed" && e.invocationId === invocationId);
    release?.();
    endpoint = await startEndpoint([slow], { port });
    cleanups.push(() => endpoint.close());
    const attached = await fetch(`${stet.node.ingressUrl}/restate/invocation/${invocationId}/attach`);
    expect(await attached.json()).toBe("journaled");
  });
});
