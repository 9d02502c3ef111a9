import { describe, expect, it } from "vitest";
import { differential } from "./harness.js";
import { approvalFlow, counter, greeter, openGate, ticketer } from "./services.js";

// Restate 1.7's `/restate/…` ingress routes (`call`, `send`, `scope`, `attach/{id}`, `output/{id}`,
// `lookup`, attach/output by a target in the body), idempotency keys on workflow handlers, and paths with empty
// segments: the same requests against stet and restate-server 1.7, equal records. Where they still
// differ: known-differences.ts.
const diff = differential([greeter, counter, ticketer, approvalFlow]);

// A well-formed invocation id that neither fresh server knows.
const UNKNOWN_INVOCATION = "inv_1hgbZ622b8d23cDtkaBIBxj15eXBQdlA9u";

describe("/restate/call and /restate/send", () => {
  it("call and send a plain service, an object and a workflow", () =>
    diff.compare(async (t) => {
      await t.call("/restate/call/DiffGreeter/greet", "Ada");
      await t.get("/restate/call/DiffGreeter/noInput");
      const sent = await t.call("/restate/send/DiffGreeter/greet", "Bo");
      await t.get(`/restate/attach/${sent.invocationId}`);
      await t.get("/restate/send/DiffGreeter/nothing");
      await t.call("/restate/call/DiffGreeter/failCustom");
      const obj = `o-${t.tag}`;
      await t.call(`/restate/call/DiffCounter/${obj}/add`, 2);
      await t.call(`/restate/send/DiffCounter/${obj}/add`, 3, { label: "send add 3" });
      await t.callUntil(`/restate/call/DiffCounter/${obj}/get`, (o) => o.json === 5);
      await t.call(`/restate/call/DiffCounter//keyOf`);
      await t.call(`/restate/call/DiffCounter/a%2Fb/keyOf`);
      const wf = `w-${t.tag}`;
      await t.call(`/restate/send/DiffWorkflow/${wf}/run`, "order");
      await t.call(`/restate/send/DiffWorkflow/${wf}/run`, "order");
      await t.call(`/restate/call/DiffWorkflow/${wf}/decide`, "yes");
      await t.get(`/restate/workflow/DiffWorkflow/${wf}/attach`);
      await t.call(`/restate/call/DiffWorkflow/${wf}/run`, "again");
    }));

  it("delay on a send, and not on a call", () =>
    diff.compare(async (t) => {
      const sent = await t.call("/restate/send/DiffGreeter/greet?delay=10ms", "Later");
      await t.get(`/restate/attach/${sent.invocationId}`);
      await t.call("/restate/call/DiffGreeter/greet?delay=10ms", "Now");
    }));

  it("paths that do not fit, unknown names and methods", () =>
    diff.compare(async (t) => {
      for (const path of [
        "/restate/call",
        "/restate/send",
        "/restate/call/DiffGreeter",
        "/restate/call/DiffGreeter/greet/send",
        "/restate/send/DiffGreeter/greet/send",
        "/restate/call/DiffGreeter/greet/extra",
        "/restate/call/DiffCounter/add",
        "/restate/call/Nope/greet",
        "/restate/call/DiffGreeter/nope",
        "/restate/call/DiffGr%65eter/greet",
      ]) {
        await t.call(path, "x");
      }
      await t.ingress("PUT", "/restate/call/DiffGreeter/greet", "x");
      await t.ingress("DELETE", "/restate/send/DiffGreeter/greet");
      await t.call("/restate/call/DiffGreeter/greet", undefined, { rawBody: '"x"', headers: { "content-type": "text/plain" } });
    }));
});

describe("/restate/scope/{scope}/…", () => {
  it("is refused once the handler is found (restate-server 1.7 runs without vqueues by default)", () =>
    diff.compare(async (t) => {
      await t.call("/restate/scope/s1/call/DiffGreeter/greet", "x");
      await t.call("/restate/scope/s1/send/DiffCounter/k/add", 1);
      await t.ingress("PUT", "/restate/scope/s1/call/DiffGreeter/greet/", "x");
      await t.call("/restate/scope/s1/call/Nope/greet", "x");
      await t.call("/restate/scope/s1/call/DiffGreeter/nope", "x");
      await t.call("/restate/scope//call/DiffGreeter/greet", "x");
      await t.call("/restate/scope/a%20b/call/DiffGreeter/greet", "x");
      for (const path of ["/restate/scope/s1", "/restate/scope/s1/send", "/restate/scope/s1/call/DiffGreeter", "/restate/scope/s1/bogus/DiffGreeter/greet"]) {
        await t.call(path, "x");
      }
      await t.call("/restate/scope/s1/call/DiffCounter/add", 1);
    }));
});

describe("/restate/attach/{id} and /restate/output/{id}", () => {
  it("completed, running, unknown and malformed ids", () =>
    diff.compare(async (t) => {
      const done = await t.call("/DiffGreeter/greet/send", "Cy");
      await t.get(`/restate/attach/${done.invocationId}`);
      await t.get(`/restate/output/${done.invocationId}`);
      const gate = `g-${t.tag}`;
      const parked = await t.call("/restate/send/DiffGreeter/parked", gate);
      await t.get(`/restate/output/${parked.invocationId}`, { label: "output while running" });
      const attached = t.get(`/restate/attach/${parked.invocationId}`, { label: "attach while running" });
      openGate(gate);
      await attached;
      await t.get(`/restate/output/${parked.invocationId}`);
      await t.get(`/restate/attach/${UNKNOWN_INVOCATION}`);
      await t.get(`/restate/output/${UNKNOWN_INVOCATION}`);
      // Malformed ids: 400 (the reason in the message differs: known-differences.ts).
      await t.get("/restate/attach/bogus", { compare: "ignore-message" });
      await t.get("/restate/output/inv_bogus", { compare: "ignore-message" });
      await t.get(`/restate/output/${done.invocationId}/extra`);
      await t.call(`/restate/attach/${done.invocationId}`);
      await t.get("/restate/attach");
      await t.get("/restate/output");
    }));

  it("POST /restate/attach and /restate/output name the invocation in the body", () =>
    diff.compare(async (t) => {
      const done = await t.call("/restate/send/DiffGreeter/greet", "Di");
      await t.call("/restate/attach", { target: "invocation", invocationId: done.invocationId });
      await t.call("/restate/output", { target: "invocation", invocationId: done.invocationId });
      const key = `i-${t.tag}`;
      await t.call("/DiffTicketer/issue", `who-${t.tag}`, { headers: { "idempotency-key": key } });
      await t.call("/restate/output", { target: "idempotentInvocation", service: "DiffTicketer", handler: "issue", idempotencyKey: key });
      const obj = `o-${t.tag}`;
      await t.call(`/DiffCounter/${obj}/add`, 4, { headers: { "idempotency-key": key } });
      await t.call("/restate/attach", { target: "idempotentInvocation", service: "DiffCounter", key: obj, handler: "add", idempotencyKey: key });
      const wf = `w-${t.tag}`;
      await t.call(`/DiffWorkflow/${wf}/run/send`, "order");
      await t.call("/restate/output", { target: "workflow", workflowName: "DiffWorkflow", workflowKey: wf }, { label: "output of a running workflow" });
      await t.call(`/DiffWorkflow/${wf}/decide`, "ok");
      await t.call("/restate/attach", { target: "workflow", workflowName: "DiffWorkflow", workflowKey: wf });
      await t.call("/restate/output", { target: "workflow", workflowName: "DiffWorkflow", workflowKey: `never-${t.tag}` });
      // The content-type is not checked.
      await t.call("/restate/output/", undefined, {
        rawBody: JSON.stringify({ target: "invocation", invocationId: done.invocationId }),
        headers: { "content-type": "text/plain" },
      });
      await t.call("/restate/attach", { target: "invocation", invocationId: "bogus" }, { compare: "ignore-message" });
      // A body that names no target: Restate answers 500, stet 400 (known-differences.ts, lookupBodyReason).
    }));
});

describe("/restate/lookup", () => {
  it("answers the id of an invocation, an idempotent call and a workflow run", () =>
    diff.compare(async (t) => {
      const done = await t.call("/DiffGreeter/greet/send", "Ed");
      await t.call("/restate/lookup", { target: "invocation", invocationId: done.invocationId });
      // Restate does not check that the id is known.
      await t.call("/restate/lookup", { target: "invocation", invocationId: UNKNOWN_INVOCATION });
      const key = `l-${t.tag}`;
      await t.call("/DiffTicketer/issue/send", `who-${t.tag}`, { headers: { "idempotency-key": key } });
      await t.call("/restate/lookup/", { target: "idempotentInvocation", service: "DiffTicketer", handler: "issue", idempotencyKey: key });
      const wf = `w-${t.tag}`;
      await t.call(`/restate/send/DiffWorkflow/${wf}/run`, "order");
      const found = await t.call("/restate/lookup", { target: "workflow", workflowName: "DiffWorkflow", workflowKey: wf });
      await t.get(`/restate/output/${(found.json as { invocationId: string }).invocationId}`, { label: "output of the looked-up run" });
      await t.call("/restate/lookup", { target: "invocation", invocationId: "bogus" }, { compare: "ignore-message" });
      await t.get("/restate/lookup");
      await t.call("/restate/lookup/x", {});
    }));

  it("names a workflow run or an idempotent call before it runs (the id derives from the target), and the run gets that id", () =>
    diff.compare(async (t) => {
      const wf = `never-${t.tag}`;
      const named = await t.call("/restate/lookup", { target: "workflow", workflowName: "DiffWorkflow", workflowKey: wf });
      await t.call("/restate/lookup", { target: "idempotentInvocation", service: "DiffTicketer", handler: "issue", idempotencyKey: `never-${t.tag}` });
      await t.call("/restate/lookup", { target: "workflow", workflowName: "Nope", workflowKey: "k" });
      const sent = await t.call(`/restate/send/DiffWorkflow/${wf}/run`, "order");
      expect(sent.json).toMatchObject({ invocationId: (named.json as { invocationId: string }).invocationId });
    }));
});

describe("idempotency keys on workflow handlers", () => {
  it("are refused on the run handler (the workflow key makes it idempotent) and taken by shared handlers", () =>
    diff.compare(async (t) => {
      const wf = `w-${t.tag}`;
      const withKey = { headers: { "idempotency-key": `k-${t.tag}` } };
      await t.call(`/restate/send/DiffWorkflow/${wf}/run`, "a", withKey);
      await t.call(`/restate/call/DiffWorkflow/${wf}/run`, "a", withKey);
      await t.call(`/DiffWorkflow/${wf}/run/send`, "a", withKey);
      await t.call(`/DiffWorkflow/${wf}/run`, "a", { headers: { "idempotency-key": "" } });
      // Nothing ran: the run is still free.
      await t.get(`/restate/workflow/DiffWorkflow/${wf}/output`);
      const first = await t.call(`/restate/call/DiffWorkflow/${wf}/peek`, undefined, withKey);
      const second = await t.call(`/restate/call/DiffWorkflow/${wf}/peek`, undefined, withKey);
      t.note("same id for both peeks", first.invocationId === second.invocationId);
      await t.call(`/restate/send/DiffWorkflow/${wf}/decide`, "yes", { headers: { "idempotency-key": `d-${t.tag}` } });
      await t.call(`/restate/send/DiffWorkflow/${wf}/decide`, "yes", { headers: { "idempotency-key": `d-${t.tag}` } });
      await t.get(`/restate/invocation/DiffWorkflow/${wf}/decide/d-${t.tag}/attach`);
    }));
});

describe("empty path segments", () => {
  it("at either end are ignored; inside a path they are segments", () =>
    diff.compare(async (t) => {
      for (const path of ["//restate/health", "/restate/health/", "///restate/health//", "/restate//health"]) await t.get(path);
      for (const path of ["/", "//", "/restate", "/restate/", "//DiffGreeter", "/DiffGreeter//"]) await t.get(path);
      await t.call("//DiffGreeter/greet", "a");
      await t.call("/DiffGreeter/greet//", "b");
      await t.call("/DiffGreeter//greet", "c");
      await t.call("//DiffGreeter/greet/send//", "d", { label: "send with slashes" });
      await t.call("//restate/call/DiffGreeter/greet", "e");
      await t.call("/restate/call/DiffGreeter/greet/", "f");
      await t.call("/restate//call/DiffGreeter/greet", "g");
      await t.call("/restate/call//DiffGreeter/greet", "h");
      await t.call("/restate/call/DiffGreeter//greet", "i");
      const obj = `e-${t.tag}`;
      await t.call(`//DiffCounter/${obj}/add//`, 1);
      await t.call(`/DiffCounter/${obj}//add`, 1);
      await t.call("//DiffCounter//keyOf/");
      const done = await t.call("/restate/send/DiffGreeter/greet/", "j");
      await t.get(`//restate/attach/${done.invocationId}/`);
      await t.get(`/restate/invocation/${done.invocationId}/output//`);
      await t.get(`//restate/invocation/${done.invocationId}/attach`);
      await t.get(`/restate/invocation/${done.invocationId}//output`);
      await t.get("/restate/invocation/DiffTicketer/issue//output");
      await t.get(`/restate/workflow/DiffWorkflow/never-${t.tag}/output/`);
      await t.get("/restate/workflow/DiffWorkflow//output");
    }));

  it("targets of /restate/invocation/{target}/{key}/output that do not fit the service", () =>
    diff.compare(async (t) => {
      await t.get("/restate/invocation/DiffTicketer/k/output");
      await t.get("/restate/invocation/Nope/k/output");
      await t.get("/restate/invocation/DiffCounter/k/add/output");
      await t.get("/restate/invocation/DiffTicketer/a/b/c/output");
      await t.get("/restate/invocation/a/b/c/d/e/output");
    }));
});
