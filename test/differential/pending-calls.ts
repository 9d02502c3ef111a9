import * as restate from "@restatedev/restate-sdk";
import type { Scenario } from "./harness.js";
import { counter } from "./pending-objects.js";
import { greeter } from "./services.js";

/**
 * Service-to-service calls and one-way sends. callsAndErrors agrees with stet (HEAD 7f64d86) and runs in
 * features.test.ts. Comments: what restate-server 1.7.12 answered.
 */

export const caller = restate.service({
  name: "DiffCaller",
  handlers: {
    greetVia: async (ctx: restate.Context, name: string) => ctx.serviceClient(greeter).greet(name),
    failVia: async (ctx: restate.Context) => ctx.serviceClient(greeter).failCustom(),
    catchVia: async (ctx: restate.Context) => {
      try {
        await ctx.serviceClient(greeter).failCustom();
        return "no error";
      } catch (error) {
        const e = error as restate.TerminalError;
        return { terminal: e instanceof restate.TerminalError, code: e.code, message: e.message };
      }
    },
    addVia: async (ctx: restate.Context, key: string) => ctx.objectClient(counter, key).add(7),
    sendVia: async (ctx: restate.Context, key: string) => {
      const handle = ctx.objectSendClient(counter, key).add(1);
      const id = await handle.invocationId;
      return { sent: typeof id === "string" && id.startsWith("inv_1") };
    },
  },
});

export const callServices = [caller, greeter, counter];

export const callScenarios = {
  /**
   * restate-server: greetVia → 200 `"Hello, Ada!"`; failVia → 409 source invocation `custom failure`
   * (the callee's code and message pass through the caller); catchVia → 200
   * `{"terminal":true,"code":409,"message":"custom failure"}`; addVia → 200 `7`; sendVia → 200
   * `{"sent":true}` (the one-way send's invocation id is an `inv_1…`).
   */
  callsAndErrors: (async (t) => {
    await t.call(`/DiffCaller/greetVia`, "Ada");
    await t.call(`/DiffCaller/failVia`);
    await t.call(`/DiffCaller/catchVia`);
    await t.call(`/DiffCaller/addVia`, `c-${t.tag}`);
    await t.call(`/DiffCaller/sendVia`, `c-${t.tag}`);
  }) satisfies Scenario,
};
