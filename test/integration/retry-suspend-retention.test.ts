import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import type { InvocationId } from "../../protocol/index.js";
import { useStetWithServices } from "../helpers/stet-with-services.js";

const setup = useStetWithServices();

const policies = restate.service({
  name: "Policies",
  handlers: {
    alwaysFails: async () => {
      throw new Error("still broken");
    },
  },
  options: { retryPolicy: { maxAttempts: 2, initialInterval: 10, onMaxAttempts: "pause" } },
});
const killer = restate.service({
  name: "Killer",
  handlers: {
    alwaysFails: async () => {
      throw new Error("broken for good");
    },
  },
  options: { retryPolicy: { maxAttempts: 2, initialInterval: 10, onMaxAttempts: "kill" } },
});
const napper = restate.service({
  name: "Napper",
  handlers: {
    nap: async (ctx: restate.Context) => {
      await ctx.sleep(600);
      return "rested";
    },
  },
  options: { inactivityTimeout: 100, abortTimeout: 5000 },
});
const brief = restate.service({
  name: "Brief",
  handlers: { hi: async () => "hi" },
  options: { journalRetention: 200, idempotencyRetention: 200 },
});

// Kept long enough that none expires while the 100 calls that fill the disk still run, even on a busy machine.
const bulky = restate.service({
  name: "Bulky",
  handlers: { bulky: async () => "x".repeat(20_000) },
  options: { journalRetention: 2_000, idempotencyRetention: 2_000 },
});

describe("retry policy", () => {
  it("pauses an invocation once its attempts are used up", async () => {
    const stet = await setup([policies]);
    const { invocationId } = (await (await stet.call("/Policies/alwaysFails/send")).json()) as { invocationId: InvocationId };
    await stet.waitFor((e) => e.type === "invocation-left" && e.invocationId === invocationId);
    const record = stet.node.partitions.getInvocation(invocationId)!;
    expect(record.status).toBe("paused");
    expect(record.retryCount).toBe(2);
    expect(record.lastFailure).toContain("still broken");
  });

  it("kills an invocation once its attempts are used up when the policy says so", async () => {
    const stet = await setup([killer]);
    const res = await stet.call("/Killer/alwaysFails");
    expect(res.status).toBe(500);
    expect(((await res.json()) as { message: string }).message).toContain("broken for good");
    expect(stet.events.filter((e) => e.type === "attempt-failed")).toHaveLength(2);
  });
});

describe("suspension", () => {
  it("asks a silent bidirectional attempt to suspend, then resumes it when its timer fires", async () => {
    const stet = await setup([napper]);
    const res = await stet.call("/Napper/nap");
    expect(await res.json()).toBe("rested");
    const left = stet.events.filter((e) => e.type === "invocation-left").map((e) => (e as { how: string }).how);
    expect(left).toEqual(["suspended", "ended"]);
  });
});

describe("retention", () => {
  it("gives the pages of expired invocations back to the disk", async () => {
    const stet = await setup([bulky], { expiryIntervalMs: 100 });
    const store = stet.node.partitions.store;
    // In 4 KiB pages, SQLite's page size.
    const pages = () => store.sizeBytes() / 4096;
    const before = pages();
    await Promise.all(Array.from({ length: 100 }, () => stet.call("/Bulky/bulky")));
    const grown = pages();
    expect(grown).toBeGreaterThan(before + 200);
    for (let i = 0; i < 500 && pages() > before + 100; i++) await new Promise((r) => setTimeout(r, 20));
    expect(pages()).toBeLessThanOrEqual(before + 100);
  });

  it("deletes a completed invocation and its idempotency key after the retention, in the background", async () => {
    const stet = await setup([brief], { expiryIntervalMs: 50 });
    const res = await stet.call("/Brief/hi", undefined, { "idempotency-key": "k1" });
    const id = res.headers.get("x-restate-id")! as InvocationId;
    const first = stet.node.partitions.getInvocation(id)!;
    expect((await fetch(`${stet.node.ingressUrl}/restate/invocation/${id}/output`)).status).toBe(200);
    const gone = async () => (await fetch(`${stet.node.ingressUrl}/restate/invocation/${id}/output`)).status === 404;
    for (let i = 0; i < 100 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await gone()).toBe(true);
    // The key is free again: the same request runs anew, under the same id (derived from the key, as
    // Restate derives it), as a new invocation.
    const again = await stet.call("/Brief/hi", undefined, { "idempotency-key": "k1" });
    expect(again.headers.get("x-restate-id")).toBe(id);
    expect(stet.node.partitions.getInvocation(id)!.createdAt).toBeGreaterThan(first.createdAt);
  });
});

const published: string[] = [];
const picky = restate.service({
  name: "Picky",
  handlers: {
    wait: async (ctx: restate.Context) => {
      const { id, promise } = ctx.awakeable<string>();
      await ctx.run("publish", () => void published.push(id));
      await ctx.sleep(400);
      return `slept, then ${await promise}`;
    },
  },
});

describe("resumption", () => {
  it("wakes a suspended invocation only for a notification it waits for", async () => {
    // Request/response mode: the SDK suspends whenever it waits, so every wake-up is a new attempt.
    const stet = await setup([picky], { http: 1 });
    published.length = 0;
    const { invocationId } = (await (await stet.call("/Picky/wait/send")).json()) as { invocationId: string };
    while (published.length === 0) await new Promise((r) => setTimeout(r, 10));
    await stet.waitFor((e) => e.type === "invocation-left" && e.invocationId === invocationId && e.how === "suspended");
    // Resolved while the invocation sleeps: stored, but it waits for the sleep, not for this.
    const resolved = await fetch(`${stet.node.ingressUrl}/restate/awakeables/${published[0]}/resolve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify("the awakeable"),
    });
    expect(resolved.status).toBe(202);
    const attached = await fetch(`${stet.node.ingressUrl}/restate/invocation/${invocationId}/attach`);
    expect(await attached.json()).toBe("slept, then the awakeable");
    const starts = stet.events.filter((e) => e.type === "attempt-started" && e.invocationId === invocationId);
    // First run, then after the run's ack (request/response cannot deliver it live), then after the sleep.
    expect(starts).toHaveLength(3);
  });
});
