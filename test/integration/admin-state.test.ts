import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { stateVersion } from "../../partition/index.js";
import { useStetWithServices } from "../helpers/stet-with-services.js";

// `POST /services/{service}/state`: an operator replaces one key's whole state, as Restate's CLI
// (`kv edit`, `kv clear`) and web UI do. It waits for the key's exclusive handlers like an invocation.

const setup = useStetWithServices();

const counter = restate.object({
  name: "Counter",
  handlers: {
    add: async (ctx: restate.ObjectContext, n: number) => {
      const v = ((await ctx.get<number>("count")) ?? 0) + n;
      ctx.set("count", v);
      return v;
    },
    slowAdd: async (ctx: restate.ObjectContext, n: number) => {
      await ctx.sleep(500);
      const v = ((await ctx.get<number>("count")) ?? 0) + n;
      ctx.set("count", v);
      return v;
    },
    all: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => {
      const out: Record<string, unknown> = {};
      for (const key of (await ctx.stateKeys()).sort()) out[key] = await ctx.get(key);
      return out;
    }),
  },
});
const greeter = restate.service({ name: "Greeter", handlers: { greet: async (_ctx: restate.Context, who: string) => `hi ${who}` } });

async function postState(adminUrl: string, service: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${adminUrl}/services/${service}/state`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

describe("POST /services/{service}/state", () => {
  it("replaces the whole state of one key (bytes or strings), drops a write made against an old version", async () => {
    const stet = await setup([counter, greeter]);
    const all = async (key: string) => (await stet.call(`/Counter/${key}/all`)).json();
    await stet.call("/Counter/a/add", 5);
    await stet.call("/Counter/b/add", 1);

    expect(await postState(stet.node.adminUrl, "Counter", { object_key: "a", new_state: { count: [49, 48], note: '"hi"' } })).toEqual({ status: 202, text: "" });
    expect(await all("a")).toEqual({ count: 10, note: "hi" });
    expect(await all("b")).toEqual({ count: 1 });

    // The version is the one Restate computes: a write against the current one applies, a stale one is dropped.
    const current = stateVersion([
      [Buffer.from("count"), Buffer.from("10")],
      [Buffer.from("note"), Buffer.from('"hi"')],
    ]);
    expect((await postState(stet.node.adminUrl, "Counter", { object_key: "a", version: "stale", new_state: {} })).status).toBe(202);
    expect(await all("a")).toEqual({ count: 10, note: "hi" });
    expect((await postState(stet.node.adminUrl, "Counter", { object_key: "a", version: current, new_state: {} })).status).toBe(202);
    expect(await all("a")).toEqual({});
  });

  it("waits for the exclusive handler that holds the key, then applies before the next one", async () => {
    const stet = await setup([counter]);
    await stet.call("/Counter/k/add", 12);
    const slow = stet.call("/Counter/k/slowAdd", 1);
    // The slow handler holds the key's lock while it sleeps; the write queues behind it.
    await stet.waitFor((e) => e.type === "attempt-started" && e.target === "Counter/k/slowAdd");
    expect((await postState(stet.node.adminUrl, "Counter", { object_key: "k", new_state: { count: [53, 48] } })).status).toBe(202);
    const later = stet.call("/Counter/k/add", 1);
    expect(await (await stet.call("/Counter/k/all")).json()).toEqual({ count: 12 });
    expect(await (await slow).json()).toBe(13);
    // After the slow handler: the write (50), then the add that arrived after it.
    expect(await (await later).json()).toBe(51);
  });

  it("answers Restate's errors: a plain service 400, an unknown service 404 unless the state is emptied, a bad body 400", async () => {
    const stet = await setup([counter, greeter]);
    const admin = stet.node.adminUrl;
    expect(await postState(admin, "Greeter", { object_key: "a", new_state: { x: [1] } })).toEqual({
      status: 400,
      text: JSON.stringify({ message: "Cannot modify state for service type Service", restate_code: null }),
    });
    expect(await postState(admin, "Nope", { object_key: "a", new_state: { x: [1] } })).toEqual({
      status: 404,
      text: JSON.stringify({ message: "The requested service 'Nope' does not exist", restate_code: null }),
    });
    expect((await postState(admin, "Nope", { object_key: "a", new_state: {} })).status).toBe(202);
    for (const bad of [{ new_state: {} }, { object_key: "a" }, { object_key: "a", new_state: { x: [300] } }, { object_key: "a", new_state: { x: [1.5] } }]) {
      const res = await postState(admin, "Counter", bad);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ message: expect.any(String) });
    }
    expect(await (await stet.call("/Counter/a/all")).json()).toEqual({});
  });
});
