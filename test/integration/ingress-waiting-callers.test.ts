import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { pollUntil } from "../differential/harness.js";
import { useStetWithServices } from "../helpers/stet-with-services.js";

const setup = useStetWithServices();

// Handlers parked until the test opens their gate.
const gates = new Map<string, () => void>();
const parkedUntilOpen = (key: string) => new Promise<void>((resolve) => gates.set(key, resolve));
const open = (key: string) => gates.get(key)!();

const gated = restate.service({
  name: "Gated",
  handlers: {
    park: async (ctx: restate.Context, key: string) => {
      await ctx.run("wait", () => parkedUntilOpen(key));
      return `released ${key}`;
    },
  },
});

type Stet = Awaited<ReturnType<ReturnType<typeof useStetWithServices>>>;

/** Sends `Gated/park` for `key` and resolves once the handler waits on its gate. */
async function sendParked(stet: Stet, key: string): Promise<string> {
  const sent = await stet.call("/restate/send/Gated/park", key);
  expect(sent.status).toBe(202);
  await pollUntil(() => (gates.has(key) ? true : undefined), `handler of ${key} parked`);
  return ((await sent.json()) as { invocationId: string }).invocationId;
}

/** Resolves once `n` ingress callers wait on an outcome. */
const callersWaiting = (stet: Stet, n: number) =>
  pollUntil(() => (stet.node.partitions.waiters.size >= n ? true : undefined), `${n} waiting callers`);

describe("callers waiting on an outcome", () => {
  it("a POST with a body (attach by target) gets the outcome once it arrives", async () => {
    const stet = await setup([gated]);
    const id = await sendParked(stet, "post-attach");
    const attached = stet.call("/restate/attach", { target: "invocation", invocationId: id });
    // Its body has been read (the request's own "close" has fired) by the time it waits.
    await callersWaiting(stet, 1);
    open("post-attach");
    const res = await attached;
    expect(res.status).toBe(200);
    expect(res.headers.get("x-restate-id")).toBe(id);
    expect(await res.json()).toBe("released post-attach");
  });

  it("a caller that hangs up stops waiting; the invocation completes and can be attached to", async () => {
    const stet = await setup([gated]);
    const id = await sendParked(stet, "hang-up");
    const controller = new AbortController();
    const gone = fetch(`${stet.node.ingressUrl}/restate/attach/${id}`, { signal: controller.signal });
    await callersWaiting(stet, 1);
    controller.abort();
    await expect(gone).rejects.toThrow();
    await pollUntil(() => (stet.node.partitions.waiters.size === 0 ? true : undefined), "the waiter removed");
    open("hang-up");
    const res = await fetch(`${stet.node.ingressUrl}/restate/attach/${id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toBe("released hang-up");
  });
});
