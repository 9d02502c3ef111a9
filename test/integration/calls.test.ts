import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { useStetWithServices } from "../helpers/stet-with-services.js";

const setup = useStetWithServices();

const received: string[] = [];
const callee = restate.service({
  name: "Callee",
  handlers: {
    upper: async (_ctx: restate.Context, s: string) => s.toUpperCase(),
    fail: async () => {
      throw new restate.TerminalError("callee refused", { errorCode: 422 });
    },
    record: async (ctx: restate.Context, s: string) => {
      await ctx.run("record", () => void received.push(s));
    },
  },
});
const calleeApi: typeof callee = { name: "Callee" } as typeof callee;

const box = restate.object({
  name: "Box",
  handlers: {
    put: async (ctx: restate.ObjectContext, v: string) => ctx.set("v", v),
    get: async (ctx: restate.ObjectContext) => (await ctx.get<string>("v")) ?? null,
  },
});
const boxApi: typeof box = { name: "Box" } as typeof box;

const caller = restate.service({
  name: "Caller",
  handlers: {
    fanOut: async (ctx: restate.Context, words: string[]) => {
      const results = await Promise.all(words.map((w) => ctx.serviceClient(calleeApi).upper(w)));
      return results.join(" ");
    },
    failing: async (ctx: restate.Context) => {
      try {
        await ctx.serviceClient(calleeApi).fail();
        return "no error";
      } catch (error) {
        return `caught ${(error as restate.TerminalError).code}: ${(error as Error).message}`;
      }
    },
    viaObject: async (ctx: restate.Context, key: string) => {
      await ctx.objectClient(boxApi, key).put(`stored by caller for ${key}`);
      return ctx.objectClient(boxApi, key).get();
    },
    oneWay: async (ctx: restate.Context, s: string) => {
      const handle = ctx.serviceSendClient(calleeApi).record(s);
      return await handle.invocationId;
    },
  },
});

describe("calls between handlers", () => {
  it("calls services across partitions and gets every result back", async () => {
    const stet = await setup([callee, caller], { partitions: 8 });
    const res = await stet.call("/Caller/fanOut", ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]);
    expect(await res.json()).toBe("ALPHA BETA GAMMA DELTA EPSILON ZETA");
  });

  it("delivers a callee's terminal failure to the caller", async () => {
    const stet = await setup([callee, caller]);
    expect(await (await stet.call("/Caller/failing")).json()).toBe("caught 422: callee refused");
  });

  it("calls objects by key", async () => {
    const stet = await setup([box, caller]);
    expect(await (await stet.call("/Caller/viaObject", "b1")).json()).toBe("stored by caller for b1");
    expect(await (await stet.call("/Box/b1/get")).json()).toBe("stored by caller for b1");
  });

  it("sends one-way calls and returns their invocation id", async () => {
    const stet = await setup([callee, caller]);
    received.length = 0;
    const id = (await (await stet.call("/Caller/oneWay", "hello")).json()) as string;
    expect(id).toMatch(/^inv_1[0-9A-Za-z]{33}$/);
    const attached = await fetch(`${stet.node.ingressUrl}/restate/invocation/${id}/attach`);
    expect(attached.status).toBe(200);
    expect(received).toEqual(["hello"]);
  });
});
