import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { useStetWithServices } from "../helpers/stet-with-services.js";

const setup = useStetWithServices();

let runs = 0;
const signup = restate.workflow({
  name: "Signup",
  handlers: {
    run: async (ctx: restate.WorkflowContext, email: string) => {
      await ctx.run("count run", () => void runs++);
      ctx.set("stage", "waiting");
      const code = await ctx.promise<string>("code");
      ctx.set("stage", "done");
      return `${email} confirmed with ${code}`;
    },
    confirm: async (ctx: restate.WorkflowSharedContext, code: string) => {
      await ctx.promise<string>("code").resolve(code);
      return "ok";
    },
    stage: async (ctx: restate.WorkflowSharedContext) => (await ctx.get<string>("stage")) ?? "none",
    peek: async (ctx: restate.WorkflowSharedContext) => (await ctx.promise<string>("code").peek()) ?? null,
  },
});

describe("workflows", () => {
  it("runs `run` once per key, resolves durable promises from shared handlers, and serves attach and output", async () => {
    const stet = await setup([signup]);
    runs = 0;
    const submitted = await stet.call("/Signup/wf-1/run/send", "a@b.c");
    expect(submitted.status).toBe(202);
    const { invocationId } = (await submitted.json()) as { invocationId: string };

    const again = await stet.call("/Signup/wf-1/run/send", "a@b.c");
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ invocationId, status: "PreviouslyAccepted" });

    const notReady = await fetch(`${stet.node.ingressUrl}/restate/workflow/Signup/wf-1/output`);
    expect(notReady.status).toBe(470);
    expect(await (await stet.call("/Signup/wf-1/peek")).json()).toBeNull();

    const attached = fetch(`${stet.node.ingressUrl}/restate/workflow/Signup/wf-1/attach`);
    expect(await (await stet.call("/Signup/wf-1/confirm", "1234")).json()).toBe("ok");
    const result = await attached;
    expect(result.status).toBe(200);
    expect(await result.json()).toBe("a@b.c confirmed with 1234");
    expect(await (await stet.call("/Signup/wf-1/stage")).json()).toBe("done");
    expect(await (await stet.call("/Signup/wf-1/peek")).json()).toBe("1234");

    const output = await fetch(`${stet.node.ingressUrl}/restate/workflow/Signup/wf-1/output`);
    expect(await output.json()).toBe("a@b.c confirmed with 1234");
    // A second blocking call of run with the same key is refused, naming the first run (as Restate does).
    const rerun = await stet.call("/Signup/wf-1/run", "other@b.c");
    expect(rerun.status).toBe(409);
    expect(rerun.headers.get("x-restate-id")).toBe(invocationId);
    expect(await rerun.json()).toEqual({ code: 409, message: "the workflow method was already invoked", source: "invocation" });
    expect(runs).toBe(1);
  });

  it("rejects resolving a promise twice", async () => {
    const stet = await setup([signup]);
    await stet.call("/Signup/wf-2/run/send", "x@y.z");
    expect((await stet.call("/Signup/wf-2/confirm", "1")).status).toBe(200);
    const second = await stet.call("/Signup/wf-2/confirm", "2");
    expect(second.status).toBeGreaterThanOrEqual(400);
    const result = await fetch(`${stet.node.ingressUrl}/restate/workflow/Signup/wf-2/attach`);
    expect(await result.json()).toBe("x@y.z confirmed with 1");
  });
});
