import * as restate from "@restatedev/restate-sdk";
import type { Scenario } from "./harness.js";

/**
 * PENDING (virtual objects, state). Wire in a `*.test.ts` once stet agrees on every step:
 * `const diff = differential([counter]); it("…", () => diff.compare(objectScenarios.x));`
 * The comments give what restate-server 1.7.12 answered (captured by running these against it alone).
 * At stet HEAD 7f64d86: statePerKey differs only in the void `clear` (application/octet-stream);
 * paths differs in the bad-path message and the empty key (stet 400, restate 200 `""`).
 */

export const counter = restate.object({
  name: "DiffCounter",
  handlers: {
    add: async (ctx: restate.ObjectContext, n: number) => {
      const next = ((await ctx.get<number>("count")) ?? 0) + n;
      ctx.set("count", next);
      return next;
    },
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("count")) ?? 0),
    keyOf: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => ctx.key),
    clear: async (ctx: restate.ObjectContext): Promise<void> => {
      ctx.clearAll();
    },
  },
});

export const objectScenarios = {
  /**
   * restate-server: every call 200 `application/json` with an `x-restate-id`; state is per key:
   * add a 1 → 1, add a 2 → 3, add b 5 → 5, get a → 3 (also via GET), get b → 5; clear → 200, no
   * content-type, empty body; get after clear → 0.
   */
  statePerKey: (async (t) => {
    const a = `a-${t.tag}`;
    const b = `b-${t.tag}`;
    await t.call(`/DiffCounter/${a}/add`, 1);
    await t.call(`/DiffCounter/${a}/add`, 2);
    await t.call(`/DiffCounter/${b}/add`, 5);
    await t.call(`/DiffCounter/${a}/get`);
    await t.get(`/DiffCounter/${a}/get`);
    await t.call(`/DiffCounter/${b}/get`);
    await t.call(`/DiffCounter/${b}/clear`);
    await t.call(`/DiffCounter/${b}/get`);
  }) satisfies Scenario,

  /**
   * restate-server:
   * - `/DiffCounter/add` (no key) → 400 ingress `bad path, expected either /:service-name/:handler or
   *   /:object-name/:object-key/:handler`.
   * - `/DiffCounter/k/nope` → 404 ingress `the service 'DiffCounter' exists, but the handler 'nope' was
   *   not found, …`.
   * - `/DiffCounter/k/add/send` → 202 `{invocationId, status: "Accepted"}` + `x-restate-id`.
   * - keys are percent-decoded: `/DiffCounter/a%2Fb/keyOf` → 200 `"a/b"`; `/DiffCounter/%20/keyOf` → `" "`.
   * - empty key `/DiffCounter//keyOf` → 200 `""` (an empty key is a valid key for restate).
   */
  paths: (async (t) => {
    await t.call(`/DiffCounter/add`, 1);
    await t.call(`/DiffCounter/k-${t.tag}/nope`, 1);
    await t.call(`/DiffCounter/k-${t.tag}/add/send`, 1);
    await t.call(`/DiffCounter/a%2Fb/keyOf`);
    await t.call(`/DiffCounter/%20/keyOf`);
    await t.call(`/DiffCounter//keyOf`);
  }) satisfies Scenario,
};
