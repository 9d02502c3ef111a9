import * as restate from "@restatedev/restate-sdk";
import type { Scenario } from "./harness.js";

/**
 * PENDING (timers, delayed sends): stet answers 501 to `?delay=` today and has no timers. Wire in with
 * `differential([sleeper])`. Comments: what restate-server 1.7.12 answered.
 */

export const sleeper = restate.service({
  name: "DiffSleeper",
  handlers: {
    nap: async (ctx: restate.Context, ms: number) => {
      await ctx.sleep(ms);
      return `slept ${ms}`;
    },
    hello: async (_ctx: restate.Context, name: string) => `Hello, ${name}!`,
  },
});

export const timerScenarios = {
  /** restate-server: see RESTATE-FACTS.md (timers). */
  sleepThenAttach: (async (t) => {
    const sent = await t.call(`/DiffSleeper/nap/send`, 300);
    await t.get(`/restate/invocation/${sent.invocationId}/output`);
    await t.get(`/restate/invocation/${sent.invocationId}/attach`);
    await t.get(`/restate/invocation/${sent.invocationId}/output`);
    await t.call(`/DiffSleeper/nap`, 50);
  }) satisfies Scenario,

  /** restate-server: see RESTATE-FACTS.md (delayed sends). */
  delayedSend: (async (t) => {
    const sent = await t.call(`/DiffSleeper/hello/send?delay=300ms`, "later");
    await t.get(`/restate/invocation/${sent.invocationId}/output`);
    await t.get(`/restate/invocation/${sent.invocationId}/attach`);
    await t.call(`/DiffSleeper/hello/send?delay=PT0.1S`, "iso");
    await t.call(`/DiffSleeper/hello/send?delay=bogus`, "bad");
    await t.call(`/DiffSleeper/hello/send?delay=`, "empty");
    // `delay` on a blocking call (not /send).
    await t.call(`/DiffSleeper/hello?delay=100ms`, "call");
  }) satisfies Scenario,
};
