import * as restate from "@restatedev/restate-sdk";
import * as clients from "@restatedev/restate-sdk-clients";
import { describe, expect, it } from "vitest";
import { useStetWithServices } from "../helpers/stet-with-services.js";

const setup = useStetWithServices();

const greeter = restate.service({
  name: "Greeter",
  handlers: {
    greet: async (ctx: restate.Context, name: string) => ctx.run("greet", () => `Hello, ${name}!`),
  },
});
const counter = restate.object({
  name: "Counter",
  handlers: {
    add: async (ctx: restate.ObjectContext, n: number) => {
      const v = ((await ctx.get<number>("v")) ?? 0) + n;
      ctx.set("v", v);
      return v;
    },
  },
});
const awakeIds: string[] = [];
const waiter = restate.service({
  name: "Waiter",
  handlers: {
    wait: async (ctx: restate.Context) => {
      const { id, promise } = ctx.awakeable<{ ok: boolean }>();
      await ctx.run("publish", () => void awakeIds.push(id));
      return promise;
    },
  },
});
const flow = restate.workflow({
  name: "Flow",
  handlers: {
    run: async (ctx: restate.WorkflowContext, input: string) => `${input} via ${await ctx.promise<string>("step")}`,
    step: async (ctx: restate.WorkflowSharedContext, v: string) => ctx.promise<string>("step").resolve(v),
  },
});

async function nextAwakeableId(): Promise<string> {
  for (let i = 0; i < 400 && awakeIds.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const id = awakeIds.shift();
  if (id === undefined) throw new Error("no awakeable id published");
  return id;
}

describe("the official typed ingress client (@restatedev/restate-sdk-clients) against stet", () => {
  it("calls, sends and attaches", async () => {
    const stet = await setup([greeter, counter]);
    const ingress = clients.connect({ url: stet.node.ingressUrl });
    expect(await ingress.serviceClient(greeter).greet("Ada")).toBe("Hello, Ada!");
    expect(await ingress.objectClient(counter, "c").add(2)).toBe(2);
    const sent = await ingress.serviceSendClient(greeter).greet("Eve");
    expect(sent.invocationId).toMatch(/^inv_1/);
    // The client only attaches to sends it made with an idempotency key.
    const handle = await ingress.serviceSendClient(greeter).greet("Bob", clients.rpc.sendOpts({ idempotencyKey: "bob" }));
    expect(await ingress.result(handle)).toBe("Hello, Bob!");
    const idempotent = await ingress.objectSendClient(counter, "c").add(3, clients.rpc.sendOpts({ idempotencyKey: "add-3" }));
    expect(await ingress.result(idempotent)).toBe(5);
  });

  it("resolves and rejects awakeables", async () => {
    const stet = await setup([waiter]);
    const ingress = clients.connect({ url: stet.node.ingressUrl });
    const first = ingress.serviceClient(waiter).wait();
    await ingress.resolveAwakeable(await nextAwakeableId(), { ok: true });
    expect(await first).toEqual({ ok: true });
    const second = ingress.serviceClient(waiter).wait();
    await ingress.rejectAwakeable(await nextAwakeableId(), "refused");
    await expect(second).rejects.toThrow(/refused/);
  });

  it("submits, signals and attaches to workflows", async () => {
    const stet = await setup([flow]);
    const ingress = clients.connect({ url: stet.node.ingressUrl });
    const wf = ingress.workflowClient(flow, "w1");
    const submission = await wf.workflowSubmit("start");
    expect(submission.invocationId).toMatch(/^inv_1/);
    await wf.step("approval");
    expect(await wf.workflowAttach()).toBe("start via approval");
    expect(await wf.workflowOutput()).toMatchObject({ ready: true, result: "start via approval" });
  });
});
