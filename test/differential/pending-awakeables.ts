import * as restate from "@restatedev/restate-sdk";
import { pollUntil, type Scenario } from "./harness.js";

/**
 * PENDING (awakeables): stet has no awakeables yet. Wire in with `differential([waiter])`.
 * Comments: what restate-server 1.7.12 answered.
 */

// Awakeable ids by the key the test passed in; the test resolves them through ingress.
export const awakeableIds = new Map<string, string>();

export const waiter = restate.service({
  name: "DiffWaiter",
  handlers: {
    wait: async (ctx: restate.Context, key: string) => {
      const awakeable = ctx.awakeable<unknown>();
      awakeableIds.set(key, awakeable.id);
      return { got: await awakeable.promise };
    },
  },
});

/** Sends `DiffWaiter/wait` for `key` and resolves with the invocation id and the awakeable id. */
export async function startWaiting(t: Parameters<Scenario>[0], key: string): Promise<{ invocationId: string; awakeableId: string }> {
  const sent = await t.call(`/DiffWaiter/wait/send`, key);
  const awakeableId = await pollUntil(() => awakeableIds.get(key), `awakeable of ${key}`);
  return { invocationId: sent.invocationId!, awakeableId };
}

export const awakeableScenarios = {
  /** restate-server: see RESTATE-FACTS.md (awakeables). */
  resolveAndReject: (async (t) => {
    const ok = await startWaiting(t, `ok-${t.tag}`);
    await t.call(`/restate/awakeables/${ok.awakeableId}/resolve`, { answer: 42 });
    await t.get(`/restate/invocation/${ok.invocationId}/attach`);
    // Resolving a completed awakeable again.
    await t.call(`/restate/awakeables/${ok.awakeableId}/resolve`, { answer: 43 });
    await t.call(`/restate/awakeables/${ok.awakeableId}/reject`, undefined, { rawBody: "late", headers: { "content-type": "text/plain" } });

    const no = await startWaiting(t, `no-${t.tag}`);
    await t.call(`/restate/awakeables/${no.awakeableId}/reject`, undefined, { rawBody: "nope, not today", headers: { "content-type": "text/plain" } });
    await t.get(`/restate/invocation/${no.invocationId}/attach`);
  }) satisfies Scenario,

  /** restate-server: see RESTATE-FACTS.md (awakeables). */
  badRequests: (async (t) => {
    const pending = await startWaiting(t, `bad-${t.tag}`);
    await t.call(`/restate/awakeables/not-an-id/resolve`, 1);
    await t.call(`/restate/awakeables/sign_1bogus/resolve`, 1);
    await t.call(`/restate/awakeables/${pending.awakeableId}/nope`, 1);
    await t.get(`/restate/awakeables/${pending.awakeableId}/resolve`);
    await t.ingress("PUT", `/restate/awakeables/${pending.awakeableId}/resolve`, 1);
    await t.call(`/restate/awakeables/${pending.awakeableId}/resolve`, undefined, { rawBody: "x", headers: { "content-type": "text/plain" } });
    await t.call(`/restate/awakeables/${pending.awakeableId}/resolve`);
    await t.get(`/restate/invocation/${pending.invocationId}/attach`);
  }) satisfies Scenario,
};
