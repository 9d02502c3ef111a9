import * as restate from "@restatedev/restate-sdk";
import { once } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { startEndpoint } from "../helpers/sdk-endpoint.js";
import { invocationStatus, pollUntil, type Scenario, type Target } from "./harness.js";
import { postQuery, type QueryFormat } from "./query-results.js";
import { startWaiting } from "./services.js";

/**
 * Scenarios where stet and restate-server 1.7.12 still differ, with both answers (checked at the HEAD
 * named in RESTATE-FACTS.md). Every step that agrees is in a `*.test.ts`; these are the steps that do
 * not. Each entry says whether the difference is SEMANTIC (stet does something else), STATUS (both
 * refuse, with another status code), COSMETIC (same status; a message, header or value differs) or
 * DELIBERATE (listed in the README). Bodies are shown normalized (`<inv#1>`, …) as the harness records
 * them.
 *
 * Not run by vitest (the file does not end in `.test.ts`). To re-check them, put this in a temporary
 * `test/differential/recheck.test.ts` and run it; move every entry whose records are equal into the suite:
 *
 *   const diff = differential([greeter, ticketer, sleeper, waiter, approvalFlow, counter, locker], { http: 1 });
 *   for (const [name, scenario] of Object.entries(knownDifferences)) {
 *     it(name, async () => {
 *       const { stet, restate } = await diff.records(scenario);
 *       console.log(name, JSON.stringify({ stet, restate }, null, 1));
 *     });
 *   }
 */

const UNKNOWN_INVOCATION = "inv_1hgbZ622b8d23cDtkaBIBxj15eXBQdlA9u";

/** Records a `/query` statement's answer under the statement itself. */
async function noteQuery(t: Target, sql: string, format: QueryFormat = "json"): Promise<void> {
  t.note(`${sql} (${format})`, await postQuery(t, sql, format));
}

/** Sends `path` and waits until the invocation it started has `status` (the query scenarios below). */
async function sendAndSettle(t: Target, path: string, body: unknown, status: string): Promise<string> {
  const id = (await t.call(path, body)).invocationId!;
  await pollUntil(async () => ((await invocationStatus(t, id)) === status ? true : undefined), `${path} to be ${status}`);
  return id;
}

export const knownDifferences = {
  /**
   * STATUS (both refuse). A content-type that is not `type/subtype` (`garbage`), with a body.
   * restate: 400 `input validation error: Content-type 'garbage' does not match 'application/json'`.
   * stet:    415 `unsupported content-type "garbage": expected type/subtype` (fastify refuses it before
   *          the route runs), source ingress, no id.
   */
  inputContentTypeEdgeCases: (async (t) => {
    await t.call("/DiffGreeter/greet", undefined, { rawBody: '"x"', headers: { "content-type": "garbage" } });
  }) satisfies Scenario,

  /**
   * COSMETIC (a header, and for an unknown workflow name the error's source and message). Attach by a
   * key nothing ran under.
   * restate: 404, `x-restate-id: <inv#N>` (the id that key would have: Restate derives it from the
   *          key), `x-restate-error-source: invocation`, `{"code":404,"message":"not found","source":
   *          "invocation"}`, for an unknown idempotency key, a workflow key never run, and a workflow
   *          name that is not registered (`/restate/workflow/Nope/k/attach`).
   * stet:    the same 404 body without x-restate-id for the first two; for the unregistered workflow
   *          404 from ingress, no id: `{"code":404,"message":"service 'Nope' not found, make sure to
   *          register the service before calling it.","source":"ingress"}`.
   * (Output of the same keys agrees: 404 ingress `invocation not found`, no id.)
   */
  attachByKeyOfNothing: (async (t) => {
    await t.get(`/restate/invocation/DiffTicketer/issue/unknown-${t.tag}/attach`);
    await t.get(`/restate/workflow/DiffWorkflow/nobody-${t.tag}/attach`);
    await t.get(`/restate/workflow/Nope/k/attach`);
  }) satisfies Scenario,

  /**
   * COSMETIC (message). A delay the parser rejects: both 400 from ingress, no id; the reason differs.
   * restate: `bad delay query parameter, must be a ISO8601 duration: failed to parse input in the
   *          "friendly" duration format: expected duration to start with a unit value (a decimal
   *          integer) after an optional sign, but no integer was found`; for `delay=`: `…: an empty
   *          string is not a valid duration in either the ISO 8601 format or Jiff's "friendly" format`.
   * stet:    `bad delay query parameter, must be a ISO8601 duration: 'bogus' (500ms, 10s and PT0.1S are
   *          accepted)`; for `delay=`: `…: an empty string is not a valid duration`.
   */
  delayParseReason: (async (t) => {
    await t.call(`/DiffSleeper/hello/send?delay=bogus`, "bad");
    await t.call(`/DiffSleeper/hello/send?delay=`, "empty");
  }) satisfies Scenario,

  /**
   * COSMETIC (message). The reason in a malformed invocation id's message (status, code and shape
   * match).
   * restate: `bad invocation id 'bogus': bad format`; `'inv_bogus': unrecognized codec version`;
   *          `'inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': base62 decode error`.
   * stet:    `bad invocation id 'bogus': invalid invocation id "bogus": expected the prefix 'inv_1'`;
   *          same for `inv_bogus`; `…: invalid invocation id "…": not base62, or a field out of range`.
   */
  malformedInvocationIdReason: (async (t) => {
    for (const id of ["bogus", "inv_bogus", "inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]) {
      await t.get(`/restate/invocation/${id}/output`);
      // The same reasons on Restate 1.7's routes.
      await t.get(`/restate/attach/${id}`);
      await t.call("/restate/lookup", { target: "invocation", invocationId: id });
    }
  }) satisfies Scenario,

  /**
   * COSMETIC (the same as attachByKeyOfNothing, on the body form). `POST /restate/attach` naming a
   * workflow key or idempotency key nothing ran under.
   * restate: 404 invocation error `not found` with the derived `x-restate-id`.
   * stet:    the same 404 body, without x-restate-id.
   */
  attachByBodyOfNothing: (async (t) => {
    await t.call("/restate/attach", { target: "workflow", workflowName: "DiffWorkflow", workflowKey: `never-${t.tag}` });
    await t.call("/restate/attach", { target: "idempotentInvocation", service: "DiffTicketer", handler: "issue", idempotencyKey: `never-${t.tag}` });
  }) satisfies Scenario,

  /**
   * DELIBERATE (status) and COSMETIC (message). A lookup, attach or output body that names no target.
   * restate: 500 `cannot read body: invalid lookup body: missing field `target` at line 1 column 2`
   *          followed by a Rust stack backtrace (`\n\nStack backtrace:\n   0: anyhow::…`); `invalid
   *          request body` for attach/output.
   * stet:    400 (the client sent a body it got wrong; a 5xx would say the server failed) with the same
   *          first line without position and backtrace (`cannot read body: invalid lookup body: missing
   *          field `target``): a backtrace of stet's code says nothing to a client.
   */
  lookupBodyReason: (async (t) => {
    await t.call("/restate/lookup", {});
    await t.call("/restate/attach", { target: "Svc/h" });
    await t.call("/restate/output");
  }) satisfies Scenario,

  /**
   * COSMETIC (message). The reason in a malformed awakeable id's message: both 400 from ingress.
   * restate: `bad awakeable id 'not-an-id': bad format`; `bad awakeable id 'sign_1bogus': id doesn't
   *          match the expected type`.
   * stet:    `bad awakeable id 'not-an-id': invalid awakeable id "not-an-id": expected the prefix
   *          'sign_1'`; `bad awakeable id 'sign_1bogus': invalid awakeable id "sign_1bogus": expected 38
   *          base64url characters`.
   */
  malformedAwakeableIdReason: (async (t) => {
    const pending = await startWaiting(t, `known-awk-${t.tag}`);
    await t.call(`/restate/awakeables/not-an-id/resolve`, 1);
    await t.call(`/restate/awakeables/sign_1bogus/resolve`, 1);
    // Clean-up, not recorded.
    await fetch(`${t.adminUrl}/invocations/${pending.invocationId}/kill`, { method: "PATCH" });
  }) satisfies Scenario,

  /**
   * COSMETIC (values). `GET /version`: same keys and admin API range (compared in admin.test.ts).
   * restate: `version: "1.7.12"`, `features`: 12 flags, all false in 1.7.12 (scoped_virtual_objects,
   *          vqueues, protocol_v7, …).
   * stet:    `version: "1.7.12+stet.0.1.0"` (the release it answers as, with its own version as build
   *          metadata), `features: {}`. (`ingress_endpoint` agrees: `<ingress>/`.)
   */
  versionValues: (async (t) => {
    await t.admin("GET", "/version");
  }) satisfies Scenario,

  /**
   * COSMETIC / DELIBERATE (README: stet answers the admin API's malformed requests with its JSON error
   * body). Statuses agree except where noted.
   * restate: a bad path parameter → 400 `text/plain` `Invalid URL: Cannot parse `deployment` with
   *          value `bogus`: bad format` (GET and DELETE /deployments/{id}); a body of the wrong shape
   *          (`{}`) → **422** `text/plain` `Failed to deserialize the JSON body into the target type: data
   *          did not match any variant of untagged enum RegisterDeploymentRequest`; invalid JSON → 400
   *          `text/plain` `Failed to parse the request body as JSON: expected ident at line 1 column 2`;
   *          an unknown route → 404, empty body, no content-type; `DELETE /invocations/{id}?mode=bogus`
   *          → 400 `text/plain` ``Failed to deserialize query string: mode: unknown variant `bogus`,
   *          expected one of `Cancel`, `cancel`, `Kill`, `kill`, `Purge`, `purge` ``.
   * stet:    JSON `{message, restate_code: null}`: `invalid deployment id "bogus": expected the prefix
   *          'dp_1'` (400); `{}` → **400** `The request field 'uri' is invalid. Reason: a uri (the
   *          http(s) address of the SDK endpoint) is required`; invalid JSON → 400 `Body is not valid
   *          JSON but content-type is set to 'application/json'`; unknown route → 404 `no admin route GET
   *          /no-such-route`; mode=bogus → 400 `The request is invalid: querystring/mode must be equal to
   *          one of the allowed values`.
   */
  adminRequestErrors: (async (t) => {
    await t.admin("GET", "/deployments/bogus");
    await t.admin("DELETE", "/deployments/bogus");
    await t.admin("POST", "/deployments", {});
    await t.admin("POST", "/deployments", undefined, { rawBody: "nope", headers: { "content-type": "application/json" } });
    await t.admin("GET", "/no-such-route");
    await t.admin("DELETE", `/invocations/${UNKNOWN_INVOCATION}?mode=bogus`);
  }) satisfies Scenario,

  /**
   * COSMETIC / DELIBERATE (as adminRequestErrors: stet answers malformed admin requests with its JSON
   * error body). Statuses agree.
   * restate: a malformed subscription id → 400 `text/plain` `Invalid URL: Cannot parse \`subscription\`
   *          with value \`bogus\`: bad format` (`sub_123`: `bad length`); a body without `sink` → 422
   *          `text/plain` `Failed to deserialize the JSON body into the target type: missing field
   *          \`sink\` at line 1 column 37`.
   * stet:    JSON `{message, restate_code: null}`: `The request field 'subscription' is invalid.
   *          Reason: bad format` (400); `The request body misses the field 'sink'` (422).
   */
  subscriptionRequestErrors: (async (t) => {
    await t.admin("GET", "/subscriptions/bogus");
    await t.admin("DELETE", "/subscriptions/sub_123");
    await t.admin("POST", "/subscriptions", { source: "kafka://c/t" });
  }) satisfies Scenario,

  /**
   * SEMANTIC / STATUS. `PATCH /deployments/{id}` to the uri of another deployment, and with a uri that
   * is not one.
   * restate: 200: two deployments then share the uri; `{"uri": "not a uri"}` or `{"uri": 5}` → 200, the
   *          deployment re-discovered at its old uri (the body falls through to its Lambda variant,
   *          whose fields are all optional).
   * stet:    409 `the deployment '<dp#1>' is already registered at '…'; stet keeps one deployment per
   *          uri, remove that one first` (its registry keys deployments by uri); 400 `The request field
   *          'uri' is invalid. Reason: the deployment uri "not a uri" is not an absolute URI` (for `5`:
   *          `… uri "5" …`, the number coerced to a string).
   */
  deploymentUpdateEdgeCases: (async (t) => {
    const list = await t.admin("GET", "/deployments");
    const id = (list.json as { deployments: Array<{ id: string }> }).deployments[0]!.id;
    await t.admin("PATCH", `/deployments/${id}`, { uri: "not a uri" });
    await t.admin("PATCH", `/deployments/${id}`, { uri: 5 });
  }) satisfies Scenario,

  /**
   * SEMANTIC (purge-journal) and COSMETIC (a malformed id's body). Batch operations.
   * restate: `purge-journal` → 200 `{"succeeded":["<inv#1>"],"failed":[]}` for a completed invocation
   *          (its journal dropped, its outcome kept); a malformed id → 422 `text/plain` `Failed to
   *          deserialize the JSON body into the target type: invocation_ids[0]: bad format at line 1
   *          column 26`; an unknown operation → 404, empty body.
   * stet:    `purge-journal` → 422 `purge-journal is not supported by stet: …` (stet keeps a journal as
   *          long as the outcome); a malformed id → 422 JSON `The request field 'invocation_ids[0]' is
   *          invalid. Reason: …`; an unknown operation → 404 `no admin route POST …`.
   */
  batchOperationDifferences: (async (t) => {
    const done = (await t.call("/DiffGreeter/greet", "journal")).invocationId!;
    await t.admin("POST", "/internal/invocations_batch_operations/purge-journal", { invocation_ids: [done] });
    await t.admin("POST", "/internal/invocations_batch_operations/purge", { invocation_ids: ["bogus"] });
    await t.admin("POST", "/internal/invocations_batch_operations/nope", { invocation_ids: [] });
  }) satisfies Scenario,

  /**
   * Admin routes that only one of the two has.
   * (`POST /query` is served by both now: query.test.ts compares the clients' statements, official-cli.test.ts the CLI's output.)
   * (`GET /openapi` is served by both now: admin-routes.test.ts compares its paths and methods.)
   * (restart-as-new, with `from` and `deployment`, and `PATCH /services/{name}` agree now:
   * restart-as-new.test.ts, admin.test.ts.)
   * DELIBERATE (README): `GET /invocations/{id}` is stet's own (200 with the invocation, 404 `The
   * requested invocation '<inv#N>' does not exist` for an unknown id); restate answers 405, empty body.
   */
  adminRoutesOfOneSide: (async (t) => {
    await t.admin("GET", `/invocations/${UNKNOWN_INVOCATION}`);
  }) satisfies Scenario,

  /**
   * COSMETIC (message). Registering an unreachable endpoint: both 500 with `restate_code: "META0003"`
   * (compared without the message in registration-errors.test.ts).
   * restate: `[META0003] [META0003] error when calling 'http://127.0.0.1:1/': h2 pool connection error:
   *          Connection refused (os error 111)` (after ~1.7 s: it retries).
   * stet:    `[META0003] error when calling 'http://127.0.0.1:1/discover': connect ECONNREFUSED
   *          127.0.0.1:1`.
   */
  unreachableDeployment: (async (t) => {
    await t.admin("POST", "/deployments", { uri: "http://127.0.0.1:1" });
  }) satisfies Scenario,

  /**
   * COSMETIC / DELIBERATE (message). Registering an address that answers but is not an SDK endpoint (an
   * ordinary web server): status and `restate_code` agree (registration-errors.test.ts), the reason
   * differs. Without use_http_11 both answer 500 META0014; restate does not fall back to HTTP/1.1 and
   * says nothing of the answer; stet falls back and says what it found, with a one-line excerpt:
   * restate: `[META0014] [META0014] error when calling 'http://127.0.0.1:P/': server possibly supports
   *          only HTTP1.1, consider discovery with --use-http1.1.`
   * stet:    `[META0014] error when calling 'http://127.0.0.1:P/discover': not a Restate endpoint: no
   *          HTTP/2, and over HTTP/1.1 it answered status code 200, content-type "text/html;
   *          charset=utf-8", 1688 bytes: "<!DOCTYPE html> <html> <head><title>Not a service</title>
   *          </head> <body> <p>Welcome.</p> <p>Welcome.</p> <p>Welcome.</p> …"; make sure the uri
   *          points to where the Restate SDK endpoint is mounted`.
   * With use_http_11, a 200 of another content type (HTML, plain JSON), both 500 META0013:
   * restate: `[META0013] [META0013] received a bad response from the SDK: Bad content type header:
   *          "text/html; charset=utf-8". Expected one of '"application/vnd.restate.endpointmanifest.v1
   *          +json, …v2+json, …v3+json, …v4+json"'`
   * stet:    `[META0013] the answer of 'http://127.0.0.1:P/discover' is not an endpoint manifest: got
   *          status code 200, content-type "text/html; charset=utf-8", 1688 bytes: "<!DOCTYPE html> …";
   *          expected a content-type of application/vnd.restate.endpointmanifest.v4+json, …v3+json,
   *          …v2+json`
   * With use_http_11, a 404, both 500 META0003; restate puts every response header and the WHOLE body
   * (the full HTML page, newlines and all) in the message, stet the same one-line excerpt:
   * restate: `[META0003] [META0003] got status code '404'. Make sure the provided URI has the correct path
   *          where the Restate SDK endpoint is mounted. Response headers: {"content-type": "text/html;
   *          charset=utf-8", "date": …, "transfer-encoding": "chunked"}. Body: <!DOCTYPE html>\n<html>
   *          \n…</html>\n` (the whole page)
   * stet:    `[META0003] error when calling 'http://127.0.0.1:P/discover': got status code 404,
   *          content-type "text/html; charset=utf-8", 1688 bytes: "<!DOCTYPE html> …"; make sure the uri
   *          points to where the Restate SDK endpoint is mounted`
   */
  nonServiceDeploymentMessage: (async (t) => {
    const page = `<!DOCTYPE html>\n<html>\n<head><title>Not a service</title></head>\n<body>\n${"<p>Welcome.</p>\n".repeat(100)}</body>\n</html>\n`;
    for (const [status, useHttp11] of [[200, false], [200, true], [404, true]] as const) {
      const server = http.createServer((_req, res) => res.writeHead(status, { "content-type": "text/html; charset=utf-8" }).end(page));
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await t.admin("POST", "/deployments", { uri, use_http_11: useHttp11 });
      server.closeAllConnections();
      server.close();
    }
  }) satisfies Scenario,

  /**
   * SEMANTIC (a value). An ingress call without an `idempotency-key` header.
   * restate: the invocation gets a generated idempotency key, a ULID: `sys_invocation.idempotency_key`
   *          is e.g. `"01M8TPK8DGNVB1AGPWJGS1YGQ1"`, and the official CLI's `invocations list|describe`
   *          and `services status <svc>` print it as `Idempotency key: 01M8…`.
   * stet:    no key: the column is NULL (omitted from the JSON row) and the CLI prints no such line.
   * (official-cli.test.ts therefore calls with explicit keys, which both print alike.)
   */
  generatedIdempotencyKey: (async (t) => {
    const id = (await t.call("/DiffGreeter/greet", "no key")).invocationId!;
    const query = `SELECT idempotency_key IS NOT NULL AS has_key FROM sys_invocation WHERE id = '${id}'`;
    await t.admin("POST", "/query", { query }, { headers: { accept: "application/json" } });
  }) satisfies Scenario,

  /**
   * COSMETIC (the failure of an attempt whose pinned deployment was removed). An invocation pinned to a
   * deployment removed with `DELETE /deployments/{id}?force=true` is woken; both back off, still pinned.
   * `SELECT status, last_failure, last_failure_error_code FROM sys_invocation WHERE id = <it>`:
   * restate: `[500 Internal] the invocation has a deployment id associated, but it was not found in the
   *          registry. This might indicate that a deployment was forcefully removed from the registry, but
   *          there are still in-flight invocations pinned to it`, `RT0011`.
   * stet:    `the deployment <dp#1> this invocation is pinned to is not registered any more (removed with
   *          force while invocations were pinned to it); pause the invocation, then resume it with
   *          ?deployment=latest or a deployment id to replay its journal there`, `deployment_gone` (stet's
   *          failure codes, failure-code.ts).
   */
  pinnedDeploymentGoneFailure: (async (t) => {
    const signals = new Map<string, string>();
    const service = restate.service({
      name: "DiffPinGone",
      handlers: {
        wait: async (ctx: restate.Context) => {
          const { id, promise } = ctx.awakeable<string>();
          await ctx.run("publish", () => void signals.set(ctx.request().id, id));
          return await promise;
        },
      },
      options: { inactivityTimeout: 100 },
    });
    const endpoint = await startEndpoint([service]);
    try {
      const registered = await fetch(`${t.adminUrl}/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ uri: endpoint.url }) });
      const { id: dp } = (await registered.json()) as { id: string };
      const id = await sendAndSettle(t, "/DiffPinGone/wait/send", undefined, "suspended");
      await t.admin("DELETE", `/deployments/${dp}?force=true`);
      await t.call(`/restate/awakeables/${await pollUntil(() => signals.get(id), "the awakeable")}/resolve`, "x");
      await pollUntil(async () => ((await invocationStatus(t, id)) === "backing-off" ? true : undefined), "backing off");
      await noteQuery(t, `SELECT status, last_failure, last_failure_error_code FROM sys_invocation WHERE id = '${id}'`);
    } finally {
      await endpoint.close();
    }
  }) satisfies Scenario,

  /**
   * SEMANTIC / COSMETIC (values of sys_invocation_status that stet's view leaves NULL or counts
   * otherwise).
   * `SELECT id, idempotency_key, created_using_restate_version, running_at, inboxed_at, journal_size, journal_commands_size,
   * suspended_waiting_for_completions, suspended_waiting_for_signals, suspended_waiting_future_json FROM
   * sys_invocation_status WHERE id IN (<failed>, <holding its lock, sleeping>, <inboxed behind it>)`:
   * restate: every ingress invocation but a workflow run has an `idempotency_key` (a generated ULID such as
   *          `01M8TQSFHGDFTWY3RFVWDVXFST`), `created_using_restate_version` `1.7.12`,
   *          `running_at` set once it ran; the sleeping one `suspended_waiting_for_completions` `[1]`,
   *          `suspended_waiting_for_signals` `[1]`, `suspended_waiting_future_json`
   *          `{"Unknown":[{"Single":{"CompletionId":1}},{"Single":{"SignalIndex":1}}]}`; the inboxed one
   *          `inboxed_at` set and no `journal_size`/`journal_commands_size` (NULL).
   * stet:    all of these NULL, but `journal_size`/`journal_commands_size` (equal for the others) are 1 for
   *          the inboxed one (its input entry).
   */
  queryInvocationValues: (async (t) => {
    const failed = (await t.call("/DiffGreeter/failCustom")).invocationId!;
    const hold = await sendAndSettle(t, `/DiffLocker/qv-${t.tag}/hold/send`, 3_600_000, "suspended");
    const held = await sendAndSettle(t, `/DiffLocker/qv-${t.tag}/hold/send`, 1, "pending");
    const columns = `id, idempotency_key, created_using_restate_version,
      running_at, inboxed_at, journal_size, journal_commands_size, suspended_waiting_for_completions, suspended_waiting_for_signals,
      suspended_waiting_future_json`;
    await noteQuery(t, `SELECT ${columns} FROM sys_invocation_status WHERE id IN ('${failed}', '${hold}', '${held}') ORDER BY created_at`);
  }) satisfies Scenario,

  /**
   * SEMANTIC (sys_journal, sys_journal_events; being reworked).
   * `SELECT index, entry_type, raw, raw_length, entry_json, entry_lite_json, appended_at FROM sys_journal WHERE
   * id = <DiffGreeter/flaky> ORDER BY index`:
   * restate: `raw` is the entry's protobuf message alone (Run command: `5801620473746570`, raw_length 8), the
   *          input entry also carries the headers `x-restate-ingress-path` and `content-length` (232 bytes);
   *          `entry_json` (`{"Command":{"Run":{"completion_id":1,"name":"step"}}}`), `entry_lite_json`
   *          (`{"Notification":{"ty":{"Completion":"Run"},"id":{"CompletionId":1},"result":"Success"}}`) and
   *          `appended_at` are set.
   * stet:    `raw` is the stored frame with its 8-byte header (`04110000000000085801620473746570`, 16);
   *          input 172 bytes; `entry_json`, `entry_lite_json`, `appended_at` NULL.
   * `SELECT after_journal_entry_index, event_type FROM sys_journal_events WHERE id = <flaky>`:
   * restate: two rows `{"after_journal_entry_index":0,"event_type":"TransientError"}` (its two failures).
   * stet:    `[]` (the table is always empty).
   */
  queryJournal: (async (t) => {
    const flaky = (await t.call("/DiffGreeter/flaky", { value: 1 })).invocationId!;
    await noteQuery(t, `SELECT index, entry_type, raw, raw_length, entry_json, entry_lite_json, appended_at FROM sys_journal WHERE id = '${flaky}' ORDER BY index`);
    await noteQuery(t, `SELECT after_journal_entry_index, event_type FROM sys_journal_events WHERE id = '${flaky}'`);
  }) satisfies Scenario,

  /**
   * SEMANTIC (keyed tables).
   * With a workflow run waiting on its promise `decision`, and a DiffLocker key held with one call inboxed:
   * `SELECT service_key, key, completed FROM sys_promise WHERE service_key = 'qk-<tag>'`:
   *   restate `[{"service_key":"qk-<tag>","key":"decision","completed":false}]` (a promise someone awaits
   *   is listed before it completes); stet `[]` (completed promises only). So the UI's `SELECT COUNT(*)
   *   FROM sys_promise WHERE … AND completed = false` is 1 against 0.
   * `SELECT sequence_number, created_at FROM sys_inbox WHERE service_key = 'qk-<tag>'`:
   *   restate `[{"sequence_number":0}]` (per key from 0; created_at NULL, deprecated); stet
   *   `[{"sequence_number":2,"created_at":"<volatile>"}]` (a store-wide counter; the creation time).
   * `SELECT service_name FROM sys_keyed_service_status WHERE service_key = 'qk-<tag>'`:
   *   restate `[{"service_name":"DiffLocker"}]` (a workflow's run is not listed); stet also
   *   `{"service_name":"DiffWorkflow"}`.
   */
  queryKeyedTables: (async (t) => {
    await sendAndSettle(t, `/DiffWorkflow/qk-${t.tag}/run/send`, "one", "suspended");
    await sendAndSettle(t, `/DiffLocker/qk-${t.tag}/hold/send`, 3_600_000, "suspended");
    await sendAndSettle(t, `/DiffLocker/qk-${t.tag}/hold/send`, 1, "pending");
    await noteQuery(t, `SELECT service_key, key, completed FROM sys_promise WHERE service_key = 'qk-${t.tag}'`);
    await noteQuery(t, `SELECT COUNT(*) FROM sys_promise WHERE service_name = 'DiffWorkflow' AND service_key = 'qk-${t.tag}' AND completed = false`);
    await noteQuery(t, `SELECT sequence_number, created_at FROM sys_inbox WHERE service_key = 'qk-${t.tag}'`);
    await noteQuery(t, `SELECT service_name FROM sys_keyed_service_status WHERE service_key = 'qk-${t.tag}' ORDER BY service_name`);
  }) satisfies Scenario,

  /**
   * SEMANTIC (partition keys).
   * Restate's partition key of a keyed invocation is a hash of the key alone (every service with the same
   * key shares it), a u64. stet's is SHA-256 of service and key, and its views return NULL for keys at or
   * above 2^63 (SQLite integers are signed): about half of them.
   * `SELECT service_name, partition_key IS NULL AS missing FROM state WHERE service_key = 'pk-<tag>'`:
   *   restate `missing: false` for DiffCounter and DiffLocker; stet `true` for both (this run's keys).
   * `SELECT a.partition_key = b.partition_key … FROM state a JOIN state b …` (same key, two services):
   *   restate `[{"same_key_same_partition":true}]`; stet `[{}]` (NULL; false where not NULL).
   * `SELECT s.partition_key = i.partition_key … FROM state s JOIN sys_invocation_status i …`:
   *   restate `true` twice; stet `{}` twice (NULL).
   * query.test.ts leaves partition_key out of every comparison.
   */
  queryPartitionKeys: (async (t) => {
    await t.call(`/DiffCounter/pk-${t.tag}/add`, 1);
    await sendAndSettle(t, `/DiffLocker/pk-${t.tag}/hold/send`, 3_600_000, "suspended");
    await noteQuery(t, `SELECT service_name, partition_key IS NULL AS missing FROM state WHERE service_key = 'pk-${t.tag}' ORDER BY service_name`);
    await noteQuery(t, `SELECT a.partition_key = b.partition_key AS same_key_same_partition FROM state a JOIN state b ON a.service_key = b.service_key WHERE a.service_name = 'DiffCounter' AND b.service_name = 'DiffLocker' AND a.service_key = 'pk-${t.tag}'`);
    await noteQuery(t, `SELECT s.partition_key = i.partition_key AS state_with_its_invocations FROM state s JOIN sys_invocation_status i ON i.target_service_name = s.service_name AND i.target_service_key = s.service_key WHERE s.service_key = 'pk-${t.tag}'`);
  }) satisfies Scenario,

  /**
   * COSMETIC (information_schema).
   * `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name =
   * 'sys_invocation' AND column_name IN (…)`:
   *   restate `data_type` in Arrow's words: `UInt32`, `Timestamp(ms, "+00:00")`, `Duration(ms)`,
   *   `List(UInt32)`, `UInt64`, `LargeUtf8`; `status` is_nullable `NO`. stet now answers the same words
   *   (ARROW_TYPE_NAMES), nullability and `BASE TABLE`, but names only the types it has seen.
   * `SELECT * FROM information_schema.columns …` (Arrow): restate has 7 more columns after data_type
   *   (`character_maximum_length`, `character_octet_length`, `numeric_precision`,
   *   `numeric_precision_radix`, `numeric_scale`, `datetime_precision` UInt64, `interval_type` Utf8); stet
   *   stops at data_type. (The 8 common fields agree, Utf8 NOT NULL and all.)
   * Tables: restate also lists `sys_locks`, `sys_rules`, `sys_scheduler`, `sys_user_limits`,
   *   `sys_vqueue_entry_status`, `sys_vqueue_meta`, `sys_vqueues`; stet has none of them.
   */
  queryInformationSchema: (async (t) => {
    await noteQuery(t, "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'sys_invocation' AND column_name IN ('status', 'created_at', 'retry_count', 'journal_size', 'completion_retention', 'suspended_waiting_for_signals') ORDER BY ordinal_position");
    await noteQuery(t, "SELECT table_type FROM information_schema.tables WHERE table_name = 'state'");
    await noteQuery(t, "SELECT * FROM information_schema.columns WHERE table_name = 'state' AND column_name = 'key'", "arrow");
    await noteQuery(t, "SELECT table_name FROM information_schema.tables WHERE table_name NOT IN ('sys_invocation', 'sys_invocation_status', 'sys_invocation_state', 'sys_journal', 'sys_journal_events', 'state', 'sys_inbox', 'sys_promise', 'sys_service', 'sys_deployment', 'sys_keyed_service_status') AND table_schema = 'public' ORDER BY table_name");
  }) satisfies Scenario,

  /**
   * COSMETIC (types of expressions clients rarely select).
   * Arrow schemas of `SELECT now() AS n, TIMESTAMP '1970-01-01T00:00:00' AS t, date_bin(INTERVAL '60
   * seconds', created_at, TIMESTAMP '1970-01-01T00:00:00') AS b, created_at - now() AS age FROM
   * sys_invocation_status LIMIT 0`:
   *   restate `n: Timestamp<NANOSECOND> NOT NULL`, `t: Timestamp<NANOSECOND> NOT NULL`,
   *   `b: Timestamp<NANOSECOND, +00:00>`, `age: Duration<MILLISECOND>`;
   *   stet `Timestamp<MILLISECOND, +00:00>` for the first three (the UI only selects to_unixtime(date_bin(…)),
   *   Int64 in both).
   * `SELECT value_length + 1 AS v, CAST(NULL AS STRING) AS s, CAST(1 as INT UNSIGNED) AS u FROM state LIMIT 0`:
   *   restate `v: Decimal[21e0]`, `s: Utf8View`, `u: Uint32 NOT NULL`;
   *   stet 400 `SQL error: syntax error at or near "UNSIGNED" (at character 72)`: PostgreSQL's parser has
   *   no `INT UNSIGNED` (the CLI sends it only when its information_schema checks fail, which they do not).
   */
  queryExpressionTypes: (async (t) => {
    await noteQuery(t, "SELECT now() AS n, TIMESTAMP '1970-01-01T00:00:00' AS t, date_bin(INTERVAL '60 seconds', created_at, TIMESTAMP '1970-01-01T00:00:00') AS b, created_at - now() AS age FROM sys_invocation_status LIMIT 0", "arrow");
    await noteQuery(t, "SELECT value_length + 1 AS v, CAST(NULL AS STRING) AS s, CAST(1 as INT UNSIGNED) AS u FROM state LIMIT 0", "arrow");
  }) satisfies Scenario,

  /**
   * COSMETIC / STATUS (errors).
   * restate: `SELECT * FROM nope` → 500 `{"message":"Datafusion error: Error during planning: table
   *          'restate.public.nope' not found"}`; `SELECT nope FROM state` → 500 `Datafusion error: Schema
   *          error: No field named nope. Valid fields are state.partition_key, …`; `DELETE FROM state` → 400
   *          `Datafusion error: Error during planning: DML not supported: Delete`; `SELEC 1` → 400
   *          `Datafusion error: SQL error: ParserError("Expected: an SQL statement, found: SELEC at Line: 1,
   *          Column: 1")`; `SELECT CAST(1 as INT UNSIGNED) AS version` → 200 `[{"version":1}]`. Content-type
   *          `application/json`, no restate_code.
   * stet:    400 for all five (the client's query is wrong, as a 4xx says), `application/json;
   *          charset=utf-8`, `{"message":…,"restate_code":null}`: `table 'nope' not found`, `column 'nope' not
   *          found`, `only SELECT queries are allowed: /query is read-only (got DeleteStmt)`, `SQL error:
   *          syntax error at or near "SELEC" (at character 1)`, `… near "UNSIGNED" (at character 22)`.
   */
  queryErrors: (async (t) => {
    for (const sql of ["SELECT * FROM nope", "SELECT nope FROM state", "DELETE FROM state", "SELEC 1", "SELECT CAST(1 as INT UNSIGNED) AS version"]) {
      await noteQuery(t, sql);
    }
  }) satisfies Scenario,

  /**
   * SEMANTIC (known, being wired): stet's sys_invocation_state is empty until the invoker's live state
   * is handed to queries, so an invocation backing off is `ready`, one running is `ready` too.
   * `SELECT status, retry_count, last_failure_error_code, last_attempt_server FROM sys_invocation WHERE id =
   * <DiffStubborn/fail, after its first failure>`:
   *   restate `[{"status":"backing-off","retry_count":1,"last_failure_error_code":"RT0007",
   *   "last_attempt_server":"restate-sdk-typescript/1.17.2"}]`; stet `[{"status":"ready"}]`.
   * `SELECT in_flight, retry_count FROM sys_invocation_state WHERE id = <same>`: restate
   *   `[{"in_flight":false,"retry_count":1}]`; stet `[]`. query.test.ts keeps that invocation out of the
   *   statements that tell backing-off from ready (the summary, the list of ready ones, the details).
   */
  queryLiveInvocationState: (async (t) => {
    const id = await sendAndSettle(t, "/DiffStubborn/fail/send", undefined, "backing-off");
    await noteQuery(t, `SELECT status, retry_count, last_failure_error_code, last_attempt_server FROM sys_invocation WHERE id = '${id}'`);
    await noteQuery(t, `SELECT in_flight, retry_count FROM sys_invocation_state WHERE id = '${id}'`);
  }) satisfies Scenario,
};
