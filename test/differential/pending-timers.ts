import * as restate from "@restatedev/restate-sdk";
import type { Scenario } from "./harness.js";

/**
 * PENDING (timers, delayed sends). Wire in with `differential([sleeper])` once stet agrees. Comments:
 * what restate-server 1.7.12 answered. At stet HEAD 7f64d86 both differ on the 470 message/header;
 * delayedSend also on ISO 8601 delays (stet rejects `PT0.1S`) and the delay error messages.
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
  /**
   * restate-server: send → 202; output while sleeping → 470 (no x-restate-id, `the invocation exists
   * but has not completed yet`); attach → 200 `"slept 300"` once the timer fires; output then → 200.
   */
  sleepThenAttach: (async (t) => {
    const sent = await t.call(`/DiffSleeper/nap/send`, 300);
    await t.get(`/restate/invocation/${sent.invocationId}/output`);
    await t.get(`/restate/invocation/${sent.invocationId}/attach`);
    await t.get(`/restate/invocation/${sent.invocationId}/output`);
    await t.call(`/DiffSleeper/nap`, 50);
  }) satisfies Scenario,

  /**
   * restate-server:
   * - `/send?delay=300ms` → 202 `{"invocationId","executionTime":"<RFC 3339 instant>","status":"Accepted"}`
   *   (key order as written; `executionTime` only on delayed sends).
   * - output before it runs → 470; attach → waits, then 200 `"Hello, later!"`.
   * - ISO 8601 `delay=PT0.1S` is accepted too (202 with executionTime).
   * - `delay=bogus` → 400 ingress `bad delay query parameter, must be a ISO8601 duration: failed to
   *   parse input in the "friendly" duration format: expected duration to start with a unit value (a
   *   decimal integer) after an optional sign, but no integer was found`.
   * - `delay=` → 400 ingress `bad delay query parameter, must be a ISO8601 duration: an empty string is
   *   not a valid duration in either the ISO 8601 format or Jiff's "friendly" format`.
   * - `delay` on a call (no /send) → 400 ingress `cannot use the delay query parameter with calls. The
   *   delay is supported only with sends`.
   */
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
