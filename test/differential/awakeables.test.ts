import { describe, it } from "vitest";
import { differential } from "./harness.js";
import { startWaiting, waiter } from "./services.js";

// Awakeables completed through ingress (`/restate/awakeables/{id}/resolve|reject`, and the `/restate/a/`
// short form): the same requests against stet and restate-server 1.7, equal records.
const diff = differential([waiter]);

describe("awakeables", () => {
  it("resolve and reject complete the awaiting handler; completing again is ignored", () =>
    diff.compare(async (t) => {
      const ok = await startWaiting(t, `ok-${t.tag}`);
      await t.call(`/restate/awakeables/${ok.awakeableId}/resolve`, { answer: 42 });
      await t.get(`/restate/invocation/${ok.invocationId}/attach`);
      await t.call(`/restate/awakeables/${ok.awakeableId}/resolve`, { answer: 43 }, { label: "resolve again" });
      await t.call(`/restate/awakeables/${ok.awakeableId}/reject`, undefined, { rawBody: "late", headers: { "content-type": "text/plain" } });

      // Rejected: the handler gets a terminal error whose message is the body.
      const no = await startWaiting(t, `no-${t.tag}`);
      await t.call(`/restate/awakeables/${no.awakeableId}/reject`, undefined, { rawBody: "nope, not today", headers: { "content-type": "text/plain" } });
      await t.get(`/restate/invocation/${no.invocationId}/attach`);
    }));

  it("the /restate/a/ short form", () =>
    diff.compare(async (t) => {
      const ok = await startWaiting(t, `short-ok-${t.tag}`);
      await t.call(`/restate/a/${ok.awakeableId}/resolve`, "short");
      await t.get(`/restate/invocation/${ok.invocationId}/attach`);
      const no = await startWaiting(t, `short-no-${t.tag}`);
      await t.call(`/restate/a/${no.awakeableId}/reject`, undefined, { rawBody: "short no", headers: { "content-type": "text/plain" } });
      await t.get(`/restate/invocation/${no.invocationId}/attach`);
    }));

  it("bad ids, routes and methods; an empty payload; an id nobody waits on", () =>
    diff.compare(async (t) => {
      const pending = await startWaiting(t, `bad-${t.tag}`);
      // Malformed ids: the reasons differ (known-differences.ts); status, code and shape compared.
      await t.call(`/restate/awakeables/not-an-id/resolve`, 1, { compare: "ignore-message" });
      await t.call(`/restate/awakeables/sign_1bogus/resolve`, 1, { compare: "ignore-message" });
      await t.call(`/restate/awakeables/${pending.awakeableId}/nope`, 1);
      await t.get(`/restate/awakeables/${pending.awakeableId}/resolve`);
      await t.ingress("PUT", `/restate/awakeables/${pending.awakeableId}/resolve`, 1);
      await t.call(`/restate/awakeables/${pending.awakeableId}/resolve`, undefined, { rawBody: "", headers: { "content-type": "application/json" } });
      // The empty payload fails the handler's JSON parse: retryable, so it has not completed.
      await t.get(`/restate/invocation/${pending.invocationId}/output`);
      // A well-formed id nobody waits on.
      const unknown = pending.awakeableId.slice(0, -4) + (pending.awakeableId.endsWith("AAAA") ? "BBBB" : "AAAA");
      await t.call(`/restate/awakeables/${unknown}/resolve`, 1, { label: "resolve unknown (valid format) awakeable" });
      // Clean-up, not recorded: the handler keeps retrying the empty payload.
      await fetch(`${t.adminUrl}/invocations/${pending.invocationId}/kill`, { method: "PATCH" });
    }));
});
