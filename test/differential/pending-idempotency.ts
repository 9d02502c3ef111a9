import * as restate from "@restatedev/restate-sdk";
import type { Scenario } from "./harness.js";
import { counter } from "./pending-objects.js";

/**
 * PENDING (idempotency keys): stet answers 501 to an `idempotency-key` header today. Wire in with
 * `differential([ticketer, counter])`. Comments: what restate-server 1.7.12 answered.
 */

const executions = new Map<string, number>();

export const ticketer = restate.service({
  name: "DiffTicketer",
  handlers: {
    /** Counts how often the handler really ran for one input, so a deduplicated call shows. */
    issue: async (ctx: restate.Context, name: string) => {
      const n = await ctx.run("count", () => {
        const next = (executions.get(name) ?? 0) + 1;
        executions.set(name, next);
        return next;
      });
      return { name, execution: n };
    },
  },
});

export const idempotencyScenarios = {
  /** restate-server: see RESTATE-FACTS.md (idempotency). */
  callTwice: (async (t) => {
    const who = `ada-${t.tag}`;
    const first = await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": `k1-${t.tag}` } });
    const second = await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": `k1-${t.tag}` } });
    t.note("same invocation id for both calls", first.invocationId === second.invocationId);
    // Same key, different body.
    await t.call(`/DiffTicketer/issue`, `other-${t.tag}`, { headers: { "idempotency-key": `k1-${t.tag}` } });
    // Another key runs the handler again.
    await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": `k2-${t.tag}` } });
    // Empty key.
    await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": "" } });
  }) satisfies Scenario,

  /** restate-server: see RESTATE-FACTS.md (idempotency). */
  sendTwiceAndAttach: (async (t) => {
    const who = `bob-${t.tag}`;
    const key = `s1-${t.tag}`;
    await t.call(`/DiffTicketer/issue/send`, who, { headers: { "idempotency-key": key } });
    await t.call(`/DiffTicketer/issue/send`, who, { headers: { "idempotency-key": key } });
    await t.get(`/restate/invocation/DiffTicketer/issue/${key}/attach`);
    await t.get(`/restate/invocation/DiffTicketer/issue/${key}/output`);
    await t.get(`/restate/invocation/DiffTicketer/issue/unknown-${t.tag}/output`);
    await t.get(`/restate/invocation/DiffTicketer/issue/unknown-${t.tag}/attach`);
    await t.get(`/restate/invocation/Nope/issue/${key}/output`);
    // A call after the send returns the stored result.
    await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": key } });
  }) satisfies Scenario,

  /** restate-server: see RESTATE-FACTS.md (idempotency). */
  objectIdempotency: (async (t) => {
    const obj = `o-${t.tag}`;
    const key = `add-${t.tag}`;
    await t.call(`/DiffCounter/${obj}/add`, 10, { headers: { "idempotency-key": key } });
    await t.call(`/DiffCounter/${obj}/add`, 10, { headers: { "idempotency-key": key } });
    await t.call(`/DiffCounter/${obj}/get`);
    await t.get(`/restate/invocation/DiffCounter/${obj}/add/${key}/attach`);
    await t.get(`/restate/invocation/DiffCounter/${obj}/add/${key}/output`);
  }) satisfies Scenario,
};

export const idempotencyServices = [ticketer, counter];
