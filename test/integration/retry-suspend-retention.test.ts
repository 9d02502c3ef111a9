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
  it("deletes a completed invocation and its idempotency key after the retention, in the background", async () => {
    const stet = await setup([brief], { expiryIntervalMs: 50 });
    const res = await stet.call("/Brief/hi", undefined, { "idempotency-key": "k1" });
    const id = res.headers.get("x-restate-id")!;
    expect((await fetch(`${stet.node.ingressUrl}/restate/invocation/${id}/output`)).status).toBe(200);
    const gone = async () => (await fetch(`${stet.node.ingressUrl}/restate/invocation/${id}/output`)).status === 404;
    for (let i = 0; i < 100 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await gone()).toBe(true);
    // The key is free again: the same request runs anew under a new id.
    const again = await stet.call("/Brief/hi", undefined, { "idempotency-key": "k1" });
    expect(again.headers.get("x-restate-id")).not.toBe(id);
  });
});
