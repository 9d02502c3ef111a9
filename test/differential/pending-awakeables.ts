import * as restate from "@restatedev/restate-sdk";
import { pollUntil, type Scenario } from "./harness.js";

/**
 * Awakeables. resolveAndReject agrees with stet (HEAD 7f64d86) and runs in features.test.ts;
 * badRequests still differs (id error messages, `…/nope` 400 vs 404, the 470 message/header).
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
  /**
   * restate-server:
   * - `POST /restate/awakeables/{id}/resolve` (JSON body) → 202, empty body, no content-type; attach →
   *   200 `{"got":{"answer":42}}`.
   * - resolve again, or reject, an already completed awakeable → 202 (silently ignored).
   * - reject with a text body → 202; the awaiting handler gets a TerminalError: attach → 500 source
   *   invocation, message = the body (`nope, not today`).
   * Awakeable ids look like `sign_1x3YdQeYtxH-O1wEoQc6lKj6bvjag0_9bAAAAEQ` (base64url after `sign_1`).
   */
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

  /**
   * restate-server:
   * - `not-an-id` → 400 ingress `bad awakeable id 'not-an-id': bad format`; `sign_1bogus` → 400
   *   `bad awakeable id 'sign_1bogus': id doesn't match the expected type`.
   * - `/restate/awakeables/{id}/nope` → 404 ingress `not found`; GET or PUT on `…/resolve` → 405.
   * - resolve with an empty body → 202 (the SDK then fails to parse it: retryable, so output → 470).
   * - resolve a well-formed id nobody awaits → 202.
   */
  badRequests: (async (t) => {
    const pending = await startWaiting(t, `bad-${t.tag}`);
    await t.call(`/restate/awakeables/not-an-id/resolve`, 1);
    await t.call(`/restate/awakeables/sign_1bogus/resolve`, 1);
    await t.call(`/restate/awakeables/${pending.awakeableId}/nope`, 1);
    await t.get(`/restate/awakeables/${pending.awakeableId}/resolve`);
    await t.ingress("PUT", `/restate/awakeables/${pending.awakeableId}/resolve`, 1);
    await t.call(`/restate/awakeables/${pending.awakeableId}/resolve`, undefined, { rawBody: "", headers: { "content-type": "application/json" } });
    // The empty payload made the handler's JSON parse fail: a retryable error, so it is still running.
    await t.get(`/restate/invocation/${pending.invocationId}/output`);
    // A valid-format id nobody waits on.
    const unknown = pending.awakeableId.slice(0, -4) + (pending.awakeableId.endsWith("AAAA") ? "BBBB" : "AAAA");
    await t.call(`/restate/awakeables/${unknown}/resolve`, 1, { label: "resolve unknown (valid format) awakeable" });
    // Clean-up, not recorded (its answer depends on timing): the handler may retry the empty payload.
    await fetch(`${t.adminUrl}/invocations/${pending.invocationId}/kill`, { method: "PATCH" });
  }) satisfies Scenario,
};
