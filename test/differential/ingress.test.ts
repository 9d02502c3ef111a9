import { describe, it } from "vitest";
import { differential } from "./harness.js";
import { greeter, openGate } from "./services.js";

// Ingress of plain services: the same requests against stet and restate-server 1.7, equal records.
// Differences found so far, and not yet fixed in stet, are in known-differences.ts.
const diff = differential([greeter]);

// A well-formed invocation id that neither fresh server knows.
const UNKNOWN_INVOCATION = "inv_1hgbZ622b8d23cDtkaBIBxj15eXBQdlA9u";

describe("calls", () => {
  it("return the handler's JSON value with an x-restate-id", () =>
    diff.compare(async (t) => {
      await t.call("/DiffGreeter/greet", "Ada");
      await t.call("/DiffGreeter/echo", { nested: [1, "two", null], ok: true });
      await t.call("/DiffGreeter/greet?unrelated=query", "Query");
      await t.call("/DiffGreeter/greet/", "Trailing slash");
    }));

  it("accept GET on a handler (no body)", () =>
    diff.compare(async (t) => {
      await t.get("/DiffGreeter/noInput");
      await t.get("/DiffGreeter/greet");
    }));

  it("accept JSON bodies whatever their charset parameter", () =>
    diff.compare(async (t) => {
      await t.call("/DiffGreeter/greet", undefined, { rawBody: '"utf8"', headers: { "content-type": "application/json; charset=utf-8" } });
      await t.call("/DiffGreeter/greet", undefined, { rawBody: '"latin1"', headers: { "content-type": "application/json;charset=latin1" } });
    }));

  it("fail with the handler's 400 when it cannot deserialize the body", () =>
    diff.compare(async (t) => {
      await t.call("/DiffGreeter/greet", undefined, { rawBody: "not json", headers: { "content-type": "application/json" } });
    }));

  it("answer 400 before invoking when the content-type does not match the handler's input", () =>
    diff.compare(async (t) => {
      // The media type must equal the handler's input description exactly (case-sensitive).
      await t.call("/DiffGreeter/greet", undefined, { rawBody: '"x"', headers: { "content-type": "text/plain" } });
      await t.call("/DiffGreeter/greet", undefined, { rawBody: '"x"', headers: { "content-type": "application/JSON" } });
      await t.call("/DiffGreeter/greet", undefined, { rawBody: '"x"', headers: { "content-type": "application/vnd.foo+json" } });
      await t.call("/DiffGreeter/greet/send", undefined, { rawBody: '"x"', headers: { "content-type": "text/plain" } });
      // A body without any content-type (fetch adds none for bytes).
      const res = await fetch(`${t.ingressUrl}/DiffGreeter/greet`, { method: "POST", body: new TextEncoder().encode('"x"') });
      t.note("body without content-type", { status: res.status, body: (await res.json()) as unknown });
      // An empty body with the expected content-type is no input.
      await t.call("/DiffGreeter/greet", undefined, { rawBody: "", headers: { "content-type": "application/json" } });
      // An empty body with another content-type is refused too, for a handler taking a value and a void one.
      await t.call("/DiffGreeter/greet", undefined, { rawBody: "", headers: { "content-type": "text/plain" } });
      await t.call("/DiffGreeter/nothing", undefined, { rawBody: "", headers: { "content-type": "text/plain" } });
      // (A content-type `garbage` differs: known-differences.ts.)
    }));

  it("of a void handler answer 200 with an empty body and no content-type (call, attach, output)", () =>
    diff.compare(async (t) => {
      await t.call("/DiffGreeter/nothing");
      const sent = await t.call("/DiffGreeter/nothing/send");
      await t.get(`/restate/invocation/${sent.invocationId}/attach`);
      await t.get(`/restate/invocation/${sent.invocationId}/output`);
    }));
});

describe("failures", () => {
  it("a terminal error keeps its code, and is 500 without one", () =>
    diff.compare(async (t) => {
      await t.call("/DiffGreeter/failCustom");
      await t.call("/DiffGreeter/failDefault");
    }));

  it("a handler failing retryably twice ends with the same result", () =>
    diff.compare(async (t) => {
      await t.call("/DiffGreeter/flaky", { value: 41 });
    }));
});

describe("request errors", () => {
  it("an unknown service or handler answers 404", () =>
    diff.compare(async (t) => {
      await t.call("/NoSuchService/greet", "x");
      await t.call("/DiffGreeter/noSuchHandler", "x");
      await t.get("/NoSuchService/greet");
      // Five segments read as an idempotency-key target: service 'x', key 'y', handler 'z'.
      await t.get("/restate/invocation/x/y/z/attach");
    }));

  it("a path without a handler answers 400", () =>
    diff.compare(async (t) => {
      await t.call("/DiffGreeter", "x");
      await t.get("/");
    }));

  it("paths that do not fit answer 400 bad path, or 404 under /restate/", () =>
    diff.compare(async (t) => {
      await t.call("/DiffGreeter/greet/extra/more", "x");
      await t.call("/DiffGreeter/greet/sendx", "x");
      await t.call("/DiffGreeter//greet", "x");
      await t.get("/restate/invocation");
      await t.get(`/restate/invocation/${UNKNOWN_INVOCATION}`);
      await t.get("/restate/nope");
      await t.get(`/restate/invocation/${UNKNOWN_INVOCATION}/nope`);
    }));

  it("the service segment is not percent-decoded", () =>
    diff.compare(async (t) => {
      await t.call("/Diff%47reeter/greet", "q");
    }));

  it("methods other than GET and POST answer 405", () =>
    diff.compare(async (t) => {
      await t.ingress("PUT", "/DiffGreeter/greet", "x");
      await t.ingress("DELETE", "/DiffGreeter/greet");
      await t.ingress("PATCH", "/DiffGreeter/greet", "x");
      await t.ingress("HEAD", "/DiffGreeter/greet");
      await t.ingress("PUT", `/restate/invocation/${UNKNOWN_INVOCATION}/output`);
    }));

  it("the /restate/ read routes answer only GET", () =>
    diff.compare(async (t) => {
      const sent = await t.call("/DiffGreeter/greet/send", "post");
      await t.get(`/restate/invocation/${sent.invocationId}/attach`);
      await t.call(`/restate/invocation/${sent.invocationId}/attach`);
      await t.call(`/restate/invocation/${sent.invocationId}/output`);
      await t.call("/restate/health");
    }));
});

describe("send, attach and output", () => {
  it("/send answers 202 with the invocation id in the body and in x-restate-id", () =>
    diff.compare(async (t) => {
      const sent = await t.call("/DiffGreeter/greet/send", "Bob");
      await t.get("/DiffGreeter/greet/send");
      await t.call("/DiffGreeter/greet/send/", "Trailing slash");
      // Let the first one finish so nothing is left running.
      await t.get(`/restate/invocation/${sent.invocationId}/attach`);
    }));

  it("attach and output return the result of a completed invocation", () =>
    diff.compare(async (t) => {
      const ok = await t.call("/DiffGreeter/greet/send", "Cleo");
      await t.get(`/restate/invocation/${ok.invocationId}/attach`);
      await t.get(`/restate/invocation/${ok.invocationId}/output`);
      await t.get(`/restate/invocation/${ok.invocationId}/attach`, { label: "attach again" });

      const failed = await t.call("/DiffGreeter/failCustom/send");
      await t.get(`/restate/invocation/${failed.invocationId}/attach`);
      await t.get(`/restate/invocation/${failed.invocationId}/output`);
    }));

  it("output of a running invocation answers 470, then the result once it completes", () =>
    diff.compare(async (t) => {
      const key = `output-470-${t.tag}`;
      const sent = await t.call("/DiffGreeter/parked/send", key);
      await t.get(`/restate/invocation/${sent.invocationId}/output`, { label: "output while running" });
      openGate(key);
      await t.get(`/restate/invocation/${sent.invocationId}/attach`);
      await t.get(`/restate/invocation/${sent.invocationId}/output`);
    }));

  it("output and attach of an unknown invocation answer 404 (attach names the id, from source invocation)", () =>
    diff.compare(async (t) => {
      await t.get(`/restate/invocation/${UNKNOWN_INVOCATION}/output`);
      await t.get(`/restate/invocation/${UNKNOWN_INVOCATION}/attach`);
    }));

  it("a malformed invocation id answers 400", () =>
    diff.compare(async (t) => {
      // The reason after "bad invocation id '…': " differs (known-differences.ts); code and shape match.
      for (const id of ["bogus", "inv_bogus", "inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]) {
        await t.get(`/restate/invocation/${id}/output`, { compare: "ignore-message" });
        await t.get(`/restate/invocation/${id}/attach`, { compare: "ignore-message" });
      }
    }));
});

describe("health", () => {
  it("/restate/health lists the registered services", () =>
    diff.compare(async (t) => {
      await t.get("/restate/health");
      await t.get("/restate/health/");
    }));
});

describe("CORS", () => {
  const CORS_HEADERS = [
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-allow-credentials",
    "access-control-max-age",
    "access-control-expose-headers",
    "vary",
  ];
  const origin = "http://example.com";

  it("OPTIONS answers 200 empty with preflight headers; every response carries credentials and vary", () =>
    diff.compare(async (t) => {
      const recordHeaders = [...CORS_HEADERS, "content-length"];
      const preflight = { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-foo" };
      await t.ingress("OPTIONS", "/DiffGreeter/greet", undefined, { headers: preflight, recordHeaders, label: "preflight" });
      await t.ingress("OPTIONS", "/DiffGreeter/greet", undefined, { headers: { origin }, recordHeaders, label: "OPTIONS with Origin only" });
      await t.ingress("OPTIONS", "/DiffGreeter/greet", undefined, { recordHeaders, label: "OPTIONS without Origin" });
      await t.ingress("OPTIONS", "/Nope/a/b/c/d", undefined, { headers: preflight, recordHeaders, label: "OPTIONS on no route" });
      await t.call("/DiffGreeter/greet", "Cors", { headers: { origin }, recordHeaders: CORS_HEADERS, label: "POST with Origin" });
      await t.call("/DiffGreeter/greet", "Cors", { recordHeaders: CORS_HEADERS, label: "POST without Origin" });
      await t.call("/Nope/greet", {}, { headers: { origin }, recordHeaders: CORS_HEADERS, label: "404 with Origin" });
      await t.get("/restate/health", { headers: { origin: "null" }, recordHeaders: CORS_HEADERS, label: "health with Origin null" });
      // The whole header set of a preflight answer, not only the headers named above.
      const res = await fetch(`${t.ingressUrl}/DiffGreeter/greet`, { method: "OPTIONS", headers: preflight });
      t.note("preflight header names", [...res.headers.keys()].filter((k) => !["date", "connection", "keep-alive"].includes(k)).sort());
    }));
});
