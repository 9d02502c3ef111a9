import type { Scenario } from "./harness.js";
import { openGate } from "./services.js";

/**
 * Scenarios where stet (checked at HEAD 7f64d86) and restate-server 1.7.12 differ, with both answers. Not run
 * (the file does not end in `.test.ts`): when stet is fixed, move the scenario into ingress.test.ts or
 * admin.test.ts (`it("…", () => diff.compare(knownDifferences.x))`, services from services.ts).
 * Bodies below are shown normalized (`<inv#1>`, …) as the harness records them.
 */

const UNKNOWN_INVOCATION = "inv_1hgbZ622b8d23cDtkaBIBxj15eXBQdlA9u";

export const knownDifferences = {
  /**
   * A void handler's empty result.
   * restate: 200, no content-type, empty body (call, attach and output alike).
   * stet:    200, `content-type: application/octet-stream`, empty body (fastify's default for a Buffer).
   */
  voidResultHasNoContentType: (async (t) => {
    await t.call("/DiffGreeter/nothing");
    const sent = await t.call("/DiffGreeter/nothing/send");
    await t.get(`/restate/invocation/${sent.invocationId}/attach`);
    await t.get(`/restate/invocation/${sent.invocationId}/output`);
  }) satisfies Scenario,

  /**
   * Ingress checks the request content-type against the handler's input description (here
   * `application/json`, exact and case-sensitive on the media type; parameters ignored) before creating
   * an invocation.
   * restate: 400, no x-restate-id, `{"code":400,"message":"input validation error: Content-type
   *          'text/plain' does not match 'application/json'","source":"ingress"}`; a body without any
   *          content-type: `input validation error: Empty content-type`; also for `application/JSON`,
   *          `application/vnd.foo+json`, an empty body sent as text/plain, and on `/send`.
   * stet:    accepts all of them: 200 (or 202), or the handler's own 400 "Failed to deserialize input"
   *          with source `invocation` and an x-restate-id.
   */
  inputContentTypeIsValidated: (async (t) => {
    await t.call("/DiffGreeter/greet", undefined, { rawBody: '"x"', headers: { "content-type": "text/plain" } });
    await t.call("/DiffGreeter/greet", undefined, { rawBody: '"x"', headers: { "content-type": "application/JSON" } });
    await t.call("/DiffGreeter/greet", undefined, { rawBody: '"x"', headers: { "content-type": "application/vnd.foo+json" } });
    await t.call("/DiffGreeter/greet", undefined, { rawBody: "", headers: { "content-type": "text/plain" } });
    await t.call("/DiffGreeter/greet/send", undefined, { rawBody: '"x"', headers: { "content-type": "text/plain" } });
    const res = await fetch(`${t.ingressUrl}/DiffGreeter/greet`, { method: "POST", body: new TextEncoder().encode('"x"') });
    t.note("body without content-type", { status: res.status, body: (await res.json()) as unknown });
  }) satisfies Scenario,

  /**
   * Paths that do not fit.
   * restate: `/DiffGreeter/greet/extra/more`, `/DiffGreeter/greet/sendx`, `/DiffGreeter//greet` → 400
   *          `bad path, expected either /:service-name/:handler or /:object-name/:object-key/:handler`;
   *          `/restate/invocation` and `/restate/invocation/{id}` → 400 `bad path, expected either
   *          /restate/invocation/:invocation_id/output or /restate/invocation/:invocation_id/attach or
   *          /restate/invocation/:invocation_target/:idempotency_key/output or
   *          /restate/invocation/:invocation_target/:idempotency_key/attach`;
   *          `/restate/nope` and `/restate/invocation/{id}/nope` → 404 `not found`.
   * stet:    all 400 `bad path: {path}`.
   */
  badPathMessages: (async (t) => {
    await t.call("/DiffGreeter/greet/extra/more", "x");
    await t.call("/DiffGreeter/greet/sendx", "x");
    await t.call("/DiffGreeter//greet", "x");
    await t.get("/restate/invocation");
    await t.get(`/restate/invocation/${UNKNOWN_INVOCATION}`);
    await t.get("/restate/nope");
    await t.get(`/restate/invocation/${UNKNOWN_INVOCATION}/nope`);
  }) satisfies Scenario,

  /**
   * Methods on the `/restate/*` routes.
   * restate: POST on `/restate/invocation/{id}/attach|output` and on `/restate/health` → 405
   *          `method not allowed` (only GET).
   * stet:    200 (the result, or the health body).
   */
  restateRoutesAreGetOnly: (async (t) => {
    const sent = await t.call("/DiffGreeter/greet/send", "post");
    await t.get(`/restate/invocation/${sent.invocationId}/attach`);
    await t.call(`/restate/invocation/${sent.invocationId}/attach`);
    await t.call(`/restate/invocation/${sent.invocationId}/output`);
    await t.call("/restate/health");
  }) satisfies Scenario,

  /**
   * CORS. restate's ingress answers every OPTIONS with 200, empty body, no content-type (a preflight
   * with Origin + Access-Control-Request-Method gets `access-control-allow-origin: <origin>` and
   * `access-control-allow-methods: POST`), and adds `vary: origin, access-control-request-method,
   * access-control-request-headers` and `access-control-allow-credentials: true` to every response
   * (plus `access-control-allow-origin` when the request has an Origin).
   * stet: OPTIONS on a handler → 405; OPTIONS /restate/health → 200 with the health body; no CORS headers.
   */
  cors: (async (t) => {
    const cors = ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-credentials", "vary"];
    await t.ingress("OPTIONS", "/DiffGreeter/greet", undefined, {
      recordHeaders: cors,
      headers: { origin: "http://example.test", "access-control-request-method": "POST" },
    });
    await t.ingress("OPTIONS", "/restate/health", undefined, { recordHeaders: cors });
    await t.call("/DiffGreeter/greet", "cors", { recordHeaders: cors, headers: { origin: "http://example.test" } });
  }) satisfies Scenario,

  /**
   * Percent-encoding in the service segment.
   * restate: `/Diff%47reeter/greet` → 404 `service 'Diff%47reeter' not found, …` (not decoded; object
   *          keys, by contrast, are decoded).
   * stet:    decodes it: 200 `"Hello, q!"`.
   */
  serviceNameIsNotPercentDecoded: (async (t) => {
    await t.call("/Diff%47reeter/greet", "q");
  }) satisfies Scenario,

  /**
   * The reason in a malformed invocation id's message (status, code and shape already match).
   * restate: `bad invocation id 'bogus': bad format`; `'inv_bogus': unrecognized codec version`;
   *          `'inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': base62 decode error`.
   * stet:    `bad invocation id 'bogus': invalid invocation id "bogus": expected the prefix 'inv_1'`;
   *          same for `inv_bogus`; `…: not base62, or a field out of range`.
   */
  malformedInvocationIdReason: (async (t) => {
    for (const id of ["bogus", "inv_bogus", "inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]) {
      await t.get(`/restate/invocation/${id}/output`);
    }
  }) satisfies Scenario,

  /**
   * Output of an invocation that has not completed.
   * restate: 470, no x-restate-id, `{"code":470,"message":"the invocation exists but has not completed
   *          yet","source":"ingress"}`.
   * stet:    470, x-restate-id set, message `invocation not ready`.
   */
  outputNotReady: (async (t) => {
    const key = `known-470-${t.tag}`;
    const sent = await t.call("/DiffGreeter/parked/send", key);
    await t.get(`/restate/invocation/${sent.invocationId}/output`);
    openGate(key);
    await t.get(`/restate/invocation/${sent.invocationId}/attach`);
  }) satisfies Scenario,

  /**
   * Attach to an unknown (well-formed) invocation id.
   * restate: 404, `x-restate-id: <the id>`, `x-restate-error-source: invocation`,
   *          `{"code":404,"message":"not found","source":"invocation"}` (output answers
   *          404 `invocation not found` from ingress on both).
   * stet:    404, no x-restate-id, source `ingress`, `invocation not found`.
   */
  attachUnknownInvocation: (async (t) => {
    await t.get(`/restate/invocation/${UNKNOWN_INVOCATION}/attach`);
  }) satisfies Scenario,

  /**
   * `GET /version`: same keys, but stet reports `ingress_endpoint: null` and `features: {}`; restate
   * reports its advertised ingress (`http://127.0.0.1:<port>/`) and 12 feature flags, all false in 1.7.12
   * (vqueues, protocol_v7, scoped_virtual_objects, …).
   */
  versionValues: (async (t) => {
    await t.admin("GET", "/version");
  }) satisfies Scenario,

  /**
   * Admin request errors.
   * restate: a bad path parameter → 400 `text/plain` `Invalid URL: Cannot parse \`deployment\` with
   *          value \`bogus\`: bad format` (GET and DELETE /deployments/{id}); a body of the wrong shape →
   *          422 `text/plain` `Failed to deserialize the JSON body into the target type: data did not
   *          match any variant of untagged enum RegisterDeploymentRequest`; invalid JSON → 400
   *          `text/plain` `Failed to parse the request body as JSON: expected ident at line 1 column 2`;
   *          an unknown route → 404 empty body; a known path with another method (GET
   *          /invocations/{id}) → 405 empty body; `PATCH /services/{name}` → 200 (service options
   *          update); `GET /openapi` → 200.
   * stet:    400 JSON `{message, restate_code: null}` for all bad requests; 404 JSON `no admin route …`
   *          for unknown routes, PATCH /services/{name} and /openapi.
   */
  adminRequestErrors: (async (t) => {
    await t.admin("GET", "/deployments/bogus");
    await t.admin("DELETE", "/deployments/bogus");
    await t.admin("POST", "/deployments", {});
    await t.admin("POST", "/deployments", undefined, { rawBody: "nope", headers: { "content-type": "application/json" } });
    await t.admin("GET", "/no-such-route");
    await t.admin("GET", `/invocations/${UNKNOWN_INVOCATION}`);
    await t.admin("PATCH", "/services/DiffGreeter", {});
    await t.admin("GET", "/openapi", undefined, { compare: "status-only" });
  }) satisfies Scenario,

  /**
   * Registering an unreachable endpoint: both 500 with `restate_code: "META0003"`, messages differ.
   * restate: `[META0003] [META0003] error when calling 'http://127.0.0.1:1/': h2 pool connection error:
   *          Connection refused (os error 111)`.
   * stet:    `[META0003] error when calling 'http://127.0.0.1:1/discover': connect ECONNREFUSED
   *          127.0.0.1:1`.
   */
  unreachableDeployment: (async (t) => {
    await t.admin("POST", "/deployments", { uri: "http://127.0.0.1:1" });
  }) satisfies Scenario,
};
