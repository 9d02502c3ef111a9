import { describe, it } from "vitest";
import { differential } from "./harness.js";
import { approvalFlow, counter, repeater, ticketer } from "./services.js";

// The `idempotency-key` header on calls and sends, and attach/output by idempotency key: the same
// requests against stet and restate-server 1.7, equal records. `DiffTicketer/issue` returns how often
// it really ran for its input, so a deduplicated call shows.
const diff = differential([ticketer, counter, repeater, approvalFlow]);

describe("idempotency keys", () => {
  it("a repeated call gets the first call's result and id, whatever its body; the empty key is a key", () =>
    diff.compare(async (t) => {
      const who = `ada-${t.tag}`;
      const first = await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": `k1-${t.tag}` } });
      const second = await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": `k1-${t.tag}` } });
      t.note("same invocation id for both calls", first.invocationId === second.invocationId);
      // Same key, different body: still the first result (no conflict check).
      await t.call(`/DiffTicketer/issue`, `other-${t.tag}`, { headers: { "idempotency-key": `k1-${t.tag}` } });
      // Another key runs the handler again.
      await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": `k2-${t.tag}` } });
      // The empty key, twice: one invocation.
      await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": "" } });
      await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": "" } });
    }));

  it("a repeated send is PreviouslyAccepted; attach and output by key; a later call gets the stored result", () =>
    diff.compare(async (t) => {
      const who = `bob-${t.tag}`;
      const key = `s1-${t.tag}`;
      await t.call(`/DiffTicketer/issue/send`, who, { headers: { "idempotency-key": key } });
      await t.call(`/DiffTicketer/issue/send`, who, { headers: { "idempotency-key": key } });
      await t.get(`/restate/invocation/DiffTicketer/issue/${key}/attach`);
      await t.get(`/restate/invocation/DiffTicketer/issue/${key}/output`);
      // An unknown key: output 404 from ingress. (Its attach differs: known-differences.ts.)
      await t.get(`/restate/invocation/DiffTicketer/issue/unknown-${t.tag}/output`);
      await t.get(`/restate/invocation/Nope/issue/${key}/output`);
      await t.call(`/DiffTicketer/issue`, who, { headers: { "idempotency-key": key } });
    }));

  it("on a virtual object: applied once; attach and output by object key and idempotency key", () =>
    diff.compare(async (t) => {
      const obj = `o-${t.tag}`;
      const key = `add-${t.tag}`;
      await t.call(`/DiffCounter/${obj}/add`, 10, { headers: { "idempotency-key": key } });
      await t.call(`/DiffCounter/${obj}/add`, 10, { headers: { "idempotency-key": key } });
      await t.call(`/DiffCounter/${obj}/get`);
      await t.get(`/restate/invocation/DiffCounter/${obj}/add/${key}/attach`);
      await t.get(`/restate/invocation/DiffCounter/${obj}/add/${key}/output`);
    }));

  // A handler is told each call's invocation id (the SDK's `invocationId`) before the callee runs: Restate
  // derives it from the target and the key, so the repeat names the invocation that runs.
  it("a handler calling or sending twice with one key is told one invocation id, the one ingress then answers", () =>
    diff.compare(async (t) => {
      const key = `h1-${t.tag}`;
      await t.call(`/DiffRepeater/callTwice`, key);
      await t.call(`/DiffTicketer/issue`, `call-${key}`, { headers: { "idempotency-key": key }, label: "ingress call with the handler's key" });
      await t.call(`/DiffRepeater/sendTwice`, `h2-${t.tag}`);
      await t.get(`/restate/invocation/DiffTicketer/issue/h2-${t.tag}/attach`, { label: "attach the sent call by its key" });
    }));

  it("a handler sending a workflow's run twice is told the run's id both times", () =>
    diff.compare(async (t) => {
      const key = `w-${t.tag}`;
      await t.call(`/DiffRepeater/runTwice`, key);
      await t.call(`/DiffWorkflow/${key}/decide`, "yes");
      await t.get(`/restate/workflow/DiffWorkflow/${key}/attach`, { recordHeaders: ["x-restate-id"] });
    }));
});
