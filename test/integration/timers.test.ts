import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { useStetWithServices } from "../helpers/stet-with-services.js";

const setup = useStetWithServices();

const fired: Array<{ name: string; at: number }> = [];
const sleeper = restate.service({
  name: "Sleeper",
  handlers: {
    nap: async (ctx: restate.Context, ms: number) => {
      const before = await ctx.run("before", () => Date.now());
      await ctx.sleep(ms);
      const after = await ctx.run("after", () => Date.now());
      return after - before;
    },
    mark: async (ctx: restate.Context, name: string) => {
      await ctx.run("mark", () => void fired.push({ name, at: Date.now() }));
    },
    later: async (ctx: restate.Context, name: string) => {
      ctx.serviceSendClient(sleeperApi).mark(name, restate.rpc.sendOpts({ delay: 300 }));
    },
  },
});
const sleeperApi: typeof sleeper = { name: "Sleeper" } as typeof sleeper;

describe.each([2, 1] as const)("timers over HTTP/%i", (http) => {
  it("sleeps durably and wakes on time", async () => {
    const stet = await setup([sleeper], { http });
    const res = await stet.call("/Sleeper/nap", 200);
    const slept = (await res.json()) as number;
    expect(slept).toBeGreaterThanOrEqual(200);
    expect(slept).toBeLessThan(2000);
  });

  it("runs a delayed send from ingress and from a handler no earlier than asked", async () => {
    const stet = await setup([sleeper], { http });
    fired.length = 0;
    const sentAt = Date.now();
    const res = await fetch(`${stet.node.ingressUrl}/Sleeper/mark/send?delay=250ms`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify("from-ingress"),
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { invocationId: string; executionTime: string; status: string };
    expect(body.status).toBe("Accepted");
    expect(Date.parse(body.executionTime)).toBeGreaterThanOrEqual(sentAt + 250);
    await stet.call("/Sleeper/later", "from-handler");
    const output = await fetch(`${stet.node.ingressUrl}/restate/invocation/${body.invocationId}/attach`);
    expect(output.status).toBe(200);
    const mark = fired.find((f) => f.name === "from-ingress")!;
    expect(mark.at - sentAt).toBeGreaterThanOrEqual(250);
    await stet.waitFor((e) => e.type === "invocation-left" && fired.some((f) => f.name === "from-handler"));
    expect(fired.find((f) => f.name === "from-handler")!.at - sentAt).toBeGreaterThanOrEqual(300);
  });
});

describe("bad delays", () => {
  it("rejects an unparsable delay with 400", async () => {
    const stet = await setup([sleeper]);
    const res = await fetch(`${stet.node.ingressUrl}/Sleeper/mark/send?delay=soon`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '"x"',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain("soon");
  });
});

describe("delay formats", () => {
  it.each(["PT0.2S", "200ms"])("accepts %s", async (delay) => {
    const stet = await setup([sleeper]);
    const sentAt = Date.now();
    const res = await fetch(`${stet.node.ingressUrl}/Sleeper/mark/send?delay=${delay}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(delay),
    });
    expect(res.status).toBe(202);
    const { executionTime } = (await res.json()) as { executionTime: string };
    expect(Date.parse(executionTime) - sentAt).toBeGreaterThanOrEqual(200);
    expect(Date.parse(executionTime) - sentAt).toBeLessThan(2000);
  });
});
