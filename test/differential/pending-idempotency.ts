import * as restate from "@restatedev/restate-sdk";
import type { Scenario } from "./harness.js";
import { counter } from "./pending-objects.js";

/**
 * PENDING (idempotency keys). Wire in with `differential([ticketer, counter])` once stet agrees.
 * Comments: what restate-server 1.7.12 answered. At stet HEAD 7f64d86: objectIdempotency agrees (in
 * features.test.ts); callTwice differs on `idempotency-key: ""` (stet ignores an empty key, restate
 * dedups on it); sendTwiceAndAttach on attach of an unknown key (see known-differences.ts).
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
  /**
   * restate-server:
   * - same key twice → 200 both, same body (`execution: 1`, the handler ran once), same x-restate-id.
   * - same key, DIFFERENT body → 200 with the first call's result and id (no conflict check).
   * - another key → a new invocation (`execution: 2`).
   * - an empty `idempotency-key: ""` is a key like any other: two such calls share one invocation.
   */
  callTwice: (async (t) => {
    const who = `ada-${t.tag}`;
    const first = await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": `k1-${t.tag}` } });
    const second = await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": `k1-${t.tag}` } });
    t.note("same invocation id for both calls", first.invocationId === second.invocationId);
    // Same key, different body.
    await t.call(`/DiffTicketer/issue`, `other-${t.tag}`, { headers: { "idempotency-key": `k1-${t.tag}` } });
    // Another key runs the handler again.
    await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": `k2-${t.tag}` } });
    // An empty key, twice.
    await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": "" } });
    await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": "" } });
  }) satisfies Scenario,

  /**
   * restate-server:
   * - send twice with one key → 202 `status: "Accepted"`, then 202 `status: "PreviouslyAccepted"` with
   *   the same invocationId.
   * - `/restate/invocation/{service}/{handler}/{key}/attach|output` → 200 result, x-restate-id.
   * - unknown key: output → 404 ingress `invocation not found`, no id; attach → 404 source invocation
   *   `not found` WITH an x-restate-id.
   * - unknown service → 404 ingress `service 'Nope' not found, …`.
   * - a blocking call with the key of the earlier send → 200 the stored result, same id.
   */
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

  /**
   * restate-server: add 10 twice with one key → 200 `10` both, same id; get → `10` (applied once);
   * `/restate/invocation/DiffCounter/{objectKey}/add/{key}/attach|output` → 200 `10`, x-restate-id.
   */
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
