import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { useStetWithServices } from "../helpers/stet-with-services.js";

const setup = useStetWithServices();

const ids = new Map<string, string>();
const waiter = restate.service({
  name: "Waiter",
  handlers: {
    wait: async (ctx: restate.Context, name: string) => {
      const { id, promise } = ctx.awakeable<string>();
      await ctx.run("publish id", () => void ids.set(name, id));
      try {
        return `got ${await promise}`;
      } catch (error) {
        return `rejected: ${(error as Error).message}`;
      }
    },
    resolveOther: async (ctx: restate.Context, args: { id: string; value: string }) => {
      ctx.resolveAwakeable(args.id, args.value);
      return "sent";
    },
  },
});

async function idOf(name: string): Promise<string> {
  for (let i = 0; i < 400 && !ids.has(name); i++) await new Promise((r) => setTimeout(r, 10));
  const id = ids.get(name);
  if (id === undefined) throw new Error(`no awakeable id published for ${name}`);
  return id;
}

describe("awakeables", () => {
  it("is resolved and rejected over ingress", async () => {
    const stet = await setup([waiter]);
    const first = stet.call("/Waiter/wait", "a");
    const second = stet.call("/Waiter/wait", "b");
    const resolve = await fetch(`${stet.node.ingressUrl}/restate/awakeables/${await idOf("a")}/resolve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify("yes"),
    });
    expect(resolve.status).toBeLessThan(300);
    expect(await (await first).json()).toBe("got yes");
    const reject = await fetch(`${stet.node.ingressUrl}/restate/awakeables/${await idOf("b")}/reject`, {
      method: "POST",
      body: "no way",
    });
    expect(reject.status).toBeLessThan(300);
    expect(await (await second).json()).toBe("rejected: no way");
  });

  it("is resolved from another handler", async () => {
    const stet = await setup([waiter]);
    const pending = stet.call("/Waiter/wait", "c");
    await stet.call("/Waiter/resolveOther", { id: await idOf("c"), value: "from a handler" });
    expect(await (await pending).json()).toBe("got from a handler");
  });

  it("answers a malformed awakeable id with 400", async () => {
    const stet = await setup([waiter]);
    const res = await fetch(`${stet.node.ingressUrl}/restate/awakeables/sign_1garbage/resolve`, { method: "POST", body: "1" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/awakeable/);
  });
});
