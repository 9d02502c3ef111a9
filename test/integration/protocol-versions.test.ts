import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { useStetWithServices } from "../helpers/stet-with-services.js";

const setup = useStetWithServices();

const seen: string[] = [];
const helper = restate.service({
  name: "VHelper",
  handlers: { double: async (_ctx: restate.Context, n: number) => n * 2 },
});
const helperApi = { name: "VHelper" } as typeof helper;
const subject = restate.object({
  name: "VSubject",
  handlers: {
    everything: async (ctx: restate.ObjectContext, n: number) => {
      const stored = (await ctx.get<number>("n")) ?? 0;
      ctx.set("n", stored + n);
      const side = await ctx.run("side", () => {
        seen.push(ctx.key);
        return n + 1;
      });
      await ctx.sleep(5);
      const doubled = await ctx.serviceClient(helperApi).double(side);
      const { id, promise } = ctx.awakeable<number>();
      ctx.resolveAwakeable(id, doubled + 1);
      const awoken = await promise;
      return { stored: stored + n, side, doubled, awoken, random: ctx.rand.random() >= 0 };
    },
  },
});

// The official SDK 1.17 offers protocol versions 5 to 7; capping what stet offers selects each one.
describe.each([5, 6, 7] as const)("service protocol v%i", (version) => {
  it.each([2, 1] as const)("runs state, run, sleep, call and awakeable over HTTP/%i", async (http) => {
    const stet = await setup([helper, subject], { http, maxProtocolVersion: version });
    seen.length = 0;
    const res = await stet.call(`/VSubject/v${version}-h${http}/everything`, 3);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ stored: 3, side: 4, doubled: 8, awoken: 9, random: true });
    expect(seen).toEqual([`v${version}-h${http}`]);
    const expected = `application/vnd.restate.invocation.v${version}`;
    expect(stet.endpoint.invokeContentTypes.length).toBeGreaterThan(0);
    expect(new Set(stet.endpoint.invokeContentTypes)).toEqual(new Set([expected]));
  });
});
