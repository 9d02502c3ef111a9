import * as restate from "@restatedev/restate-sdk";
import fc from "fast-check";
import net from "node:net";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatAwakeableId, newDeploymentId, newInvocationId, randomPartitionKey } from "../../protocol/index.js";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";

/**
 * Generated requests against a running stet (real HTTP on loopback): random paths, methods, headers, query
 * strings and bodies on both apps, and random bytes on both sockets. Every request must be answered within
 * a bound and never with a 5xx: the only registered handler (Greeter.greet) cannot fail other than with
 * the SDK's own 400 for input it cannot decode, and no generated admin payload names an http(s) deployment
 * (discovery of an unreachable one is a legitimate 500). Runs are bounded to keep the file at a few seconds.
 */

// STET_FUZZ_RUNS raises the bound for a deeper run by hand (e.g. 5000); the suite keeps it small.
const RUNS = Number(process.env["STET_FUZZ_RUNS"] ?? 300);
const RAW_RUNS = Math.ceil(RUNS / 2);
const ANSWER_WITHIN_MS = 5_000;

const greeter = restate.service({
  name: "Greeter",
  handlers: { greet: async (_ctx: restate.Context, name: unknown) => `Hello, ${JSON.stringify(name)}!` },
});

let endpoint: TestEndpoint;
let stet: TestStet;
let agent: Agent;

beforeAll(async () => {
  endpoint = await startEndpoint([greeter]);
  stet = await startTestStet();
  await stet.register(endpoint.url);
  agent = new Agent({ headersTimeout: ANSWER_WITHIN_MS, bodyTimeout: ANSWER_WITHIN_MS, connect: { timeout: ANSWER_WITHIN_MS } });
});

afterAll(async () => {
  await agent?.close();
  await stet?.close();
  await endpoint?.close();
});

// ----- generators -----

const unknownInvocation = newInvocationId(randomPartitionKey());
const unknownAwakeable = formatAwakeableId(newInvocationId(randomPartitionKey()), 3);

const word = fc.constantFrom(
  // ingress
  "restate", "invocation", "awakeables", "a", "workflow", "health", "send", "attach", "output", "resolve", "reject",
  "Greeter", "greet", "Nope", "key",
  // admin
  "deployments", "services", "handlers", "version", "invocations", "cancel", "kill", "purge", "pause", "resume",
  "v0", "v1", "v2", "v3", "v4", "v5", "openapi", "query",
);
const idLike = fc.constantFrom(unknownInvocation, unknownAwakeable, "inv_1bogus", "sign_1bogus", "dp_1bogus", newDeploymentId());
// Raw characters an HTTP client may put in a request target (0x21-0x7e), percent signs included.
const rawSegment = fc.stringMatching(/^[!-.0-~]{0,12}$/);
const encodedSegment = fc.string({ unit: "binary", maxLength: 12 }).map(encodeURIComponent);
const badPercent = fc.stringMatching(/^([a-z]|%[0-9A-Fa-fGz]{0,2}){1,6}$/);
const segment = fc.oneof(
  { weight: 6, arbitrary: word },
  { weight: 2, arbitrary: idLike },
  { weight: 2, arbitrary: rawSegment },
  { weight: 1, arbitrary: encodedSegment },
  { weight: 1, arbitrary: badPercent },
  { weight: 1, arbitrary: fc.constantFrom("", ".", "..", "x".repeat(300)) },
);

// `delay` values that cannot schedule a timer more than a second away (see the report on long timers).
const delay = fc.oneof(
  fc.constantFrom("", "bogus", "-1s", "1.5", "0", "PT1S", "1e3", "ms"),
  fc.integer({ min: 0, max: 1_000 }).map((n) => `${n}ms`),
  fc.string({ maxLength: 8 }).filter((s) => !/^\s*\d/.test(s)),
);
const queryPair = fc.oneof(
  delay.map((d) => `delay=${encodeURIComponent(d)}`),
  fc.constantFrom("force=true", "force=maybe", "force=", "delay=1s&delay=2s"),
  fc.tuple(rawSegment, rawSegment).map(([k, v]) => `${k.replace(/[?#]/g, "")}=${v.replace(/[?#]/g, "")}`),
);
// Route shapes of both apps, with every variable part drawn from `segment`, so most requests reach a route.
const s = segment;
const ingressShapes: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(fc.constantFrom("Greeter", "Nope"), fc.constantFrom("greet", "nope"), fc.constantFrom([], ["send"])).map(([a, b, c]) => [a, b, ...c]),
  fc.tuple(s, s, fc.oneof(fc.constant([]), fc.constant(["send"]), s.map((x) => [x]))).map(([a, b, c]) => [a, b, ...c]),
  fc.tuple(s, fc.constantFrom("attach", "output")).map(([id, action]) => ["restate", "invocation", id, action]),
  fc.tuple(fc.array(s, { maxLength: 3 }), fc.constantFrom("attach", "output")).map(([parts, action]) => ["restate", "invocation", "Greeter", ...parts, action]),
  fc.tuple(fc.constantFrom("awakeables", "a"), s, fc.constantFrom("resolve", "reject", "nope")).map(([kind, id, action]) => ["restate", kind, id, action]),
  fc.tuple(s, s, fc.constantFrom("attach", "output")).map(([name, key, action]) => ["restate", "workflow", name, key, action]),
  fc.constant(["restate", "health"]),
) as fc.Arbitrary<string[]>;
const adminShapes: fc.Arbitrary<string[]> = fc
  .tuple(
    fc.constantFrom([], [], ["v1"], ["v2"], ["v4"], ["v5"]),
    fc.oneof(
      fc.constantFrom(["health"], ["version"], ["deployments"], ["services"], ["openapi"]),
      s.map((id) => ["deployments", id]),
      fc.tuple(fc.constantFrom("Greeter", "Nope"), s).map(([name, h]) => ["services", name, "handlers", h]),
      fc.oneof(fc.constantFrom("Greeter", "Nope"), s).map((name) => ["services", name]),
      fc.oneof(fc.constantFrom("Greeter", "Nope"), s).map((name) => ["services", name, "handlers"]),
      fc.tuple(s, fc.constantFrom([], ["cancel"], ["kill"], ["purge"], ["pause"], ["resume"], ["restart-as-new"])).map(([id, op]) => ["invocations", id, ...op]),
    ),
  )
  .map(([version, rest]) => [...version, ...rest]);

const toPath = ([segments, trailingSlash, query]: [string[], boolean, string[] | null]) =>
  `/${segments.join("/")}${trailingSlash && segments.length > 0 ? "/" : ""}${query === null ? "" : `?${query.join("&")}`}`;
/** Mostly the app's own route shapes, sometimes the other app's, sometimes any segments. */
const pathFor = (own: fc.Arbitrary<string[]>, other: fc.Arbitrary<string[]>) =>
  fc
    .tuple(
      fc.oneof({ weight: 6, arbitrary: own }, { weight: 1, arbitrary: other }, { weight: 2, arbitrary: fc.array(s, { maxLength: 7 }) }),
      fc.boolean(),
      fc.option(fc.array(queryPair, { minLength: 1, maxLength: 3 }), { freq: 3 }),
    )
    .map(toPath);

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom("GET", "POST") },
  { weight: 4, arbitrary: fc.constantFrom("PUT", "DELETE", "PATCH", "HEAD", "OPTIONS") },
  // Methods Node's parser knows but no route lists, and one it rejects.
  { weight: 1, arbitrary: fc.constantFrom("PROPFIND", "PURGE", "FOO") },
);
const headerValue = fc.stringMatching(/^[\t -~\x80-\xff]{0,40}$/);
const headers = fc.record(
  {
    "content-type": fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/octet-stream", "application/xml", "", "*/*", "multipart/form-data; boundary=x") },
      { weight: 1, arbitrary: headerValue },
    ),
    "idempotency-key": headerValue,
    accept: fc.constantFrom("application/json", "*/*", "text/html"),
    "x-restate-fuzz": headerValue,
  },
  { requiredKeys: [] },
);

/** An admin registration payload that never names an http(s) deployment (discovery is not what is tested). */
const notAnHttpUri = fc
  .oneof(fc.constantFrom("ftp://example.test", "not a uri", "", "//example.test", "mailto:a@b.c", "file:///etc/passwd"), fc.string(), fc.integer(), fc.constant(null))
  .filter((u) => typeof u !== "string" || !/http/i.test(u));
const registerPayload = fc.record(
  {
    uri: notAnHttpUri,
    arn: fc.oneof(fc.string(), fc.integer()),
    additional_headers: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())), fc.constant(null), fc.string()),
    use_http_11: fc.oneof(fc.boolean(), fc.string(), fc.constant(null)),
    force: fc.oneof(fc.boolean(), fc.string(), fc.constant(null)),
    dry_run: fc.oneof(fc.boolean(), fc.string()),
    metadata: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.integer()),
  },
  { requiredKeys: [] },
).map((o) => JSON.stringify(o));

const body = fc.oneof(
  fc.json().filter((j) => !/http/i.test(j)),
  registerPayload,
  fc.string({ maxLength: 64 }),
  fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)),
  fc.constantFrom("{nope", "[1,", '"Ada"', "", "null", '{"__proto__":{"x":1}}', "\uFEFF{}"),
);

const ingressRequest = fc.record({ method, path: pathFor(ingressShapes, adminShapes), headers, body });
const adminRequest = fc.record({ method, path: pathFor(adminShapes, ingressShapes), headers, body });
interface GeneratedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string | Buffer;
}

// ----- checks -----

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

async function send(base: string, r: GeneratedRequest): Promise<Answer> {
  const headers = Object.fromEntries(Object.entries(r.headers).filter(([, v]) => v !== undefined)) as Record<string, string>;
  const res = await request(`${base}${r.path}`, {
    dispatcher: agent,
    method: r.method,
    headers,
    ...(r.method === "GET" || r.method === "HEAD" ? {} : { body: r.body }),
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

const describeRequest = (r: GeneratedRequest, a: Answer) =>
  `${r.method} ${r.path} ${JSON.stringify(r.headers)} body=${JSON.stringify(r.body.toString())} -> ${a.status} ${a.text.slice(0, 300)}`;

/** Every ingress error is Restate's `{code, message, source}` with the `x-restate-error-source` header. */
function checkIngressAnswer(r: GeneratedRequest, a: Answer): void {
  expect(a.status, describeRequest(r, a)).toBeLessThan(500);
  if (a.status < 400 || r.method === "HEAD") return;
  const parsed = JSON.parse(a.text) as Record<string, unknown>;
  expect(parsed, describeRequest(r, a)).toEqual({ code: a.status, message: expect.any(String), source: expect.stringMatching(/^(ingress|invocation)$/) });
  expect(a.headers["x-restate-error-source"]).toBe(parsed["source"]);
}

/**
 * Every admin error carries a message; errors of the admin routes are Restate's `{message, restate_code}`.
 * Requests that reach no admin route and fail before the not-found handler (a body fastify cannot parse,
 * bad percent-encoding, an over-long path parameter, a method Node's parser rejects) still get fastify's own
 * body `{statusCode, error, message[, code]}`: the admin app's root has no `adminErrorHandler`, and no
 * `frameworkErrors` / `clientErrorHandler` (server/admin/index.ts builds it).
 */
function checkAdminAnswer(r: GeneratedRequest, a: Answer): void {
  expect(a.status, describeRequest(r, a)).toBeLessThan(500);
  if (a.status < 400 || r.method === "HEAD") return;
  const parsed = JSON.parse(a.text) as Record<string, unknown>;
  expect(parsed["message"], describeRequest(r, a)).toEqual(expect.any(String));
  const fastifyOwn = parsed["statusCode"] === a.status && typeof parsed["error"] === "string";
  if (!fastifyOwn) expect(parsed, describeRequest(r, a)).toEqual({ message: expect.any(String), restate_code: null });
}

/** Writes bytes, half-closes, and collects the answer until the server closes the connection. */
function rawExchange(url: string, bytes: Uint8Array): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection not closed within ${ANSWER_WITHIN_MS} ms`));
    }, ANSWER_WITHIN_MS);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {}); // a reset after the answer is fine; "close" follows
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
  });
}

const requestLine = fc
  .tuple(method, fc.oneof(pathFor(ingressShapes, adminShapes), pathFor(adminShapes, ingressShapes)), fc.constantFrom("HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.1 extra", ""))
  .map(([m, p, v]) => `${m} ${p} ${v}\r\n`);
const rawBytes = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc
    .tuple(requestLine, fc.array(fc.stringMatching(/^[!-~]{0,10}(: ?[ -~]{0,20})?$/), { maxLength: 5 }), fc.uint8Array({ maxLength: 64 }))
    .map(([line, headerLines, tail]) => Buffer.concat([Buffer.from(`${line}${headerLines.map((h) => `${h}\r\n`).join("")}\r\n`, "latin1"), tail])),
);

/** Status codes of every response in a raw answer (pipelined requests can get several). */
const statusesIn = (text: string): number[] => [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));

// ----- properties -----

describe("generated requests", () => {
  it("ingress answers every generated request with a status below 500, in Restate's error shape", async () => {
    await fc.assert(
      fc.asyncProperty(ingressRequest, async (r) => checkIngressAnswer(r, await send(stet.node.ingressUrl, r))),
      { numRuns: RUNS },
    );
  }, 120_000);

  it("admin answers every generated request with a status below 500 and a message", async () => {
    await fc.assert(
      fc.asyncProperty(adminRequest, async (r) => checkAdminAnswer(r, await send(stet.node.adminUrl, r))),
      { numRuns: RUNS },
    );
  }, 120_000);

  it("admin refuses every generated registration payload with a 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(registerPayload, fc.constantFrom("", "/v2", "/v4"), async (payload, prefix) => {
        const r = { method: "POST", path: `${prefix}/deployments`, headers: { "content-type": "application/json" }, body: payload };
        const a = await send(stet.node.adminUrl, r);
        expect(a.status, describeRequest(r, a)).toBeGreaterThanOrEqual(400);
        checkAdminAnswer(r, a);
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it("random bytes on either socket get at most 4xx answers and a closed connection, never a hang", async () => {
    await fc.assert(
      fc.asyncProperty(rawBytes, fc.boolean(), async (bytes, toAdmin) => {
        const answer = await rawExchange(toAdmin ? stet.node.adminUrl : stet.node.ingressUrl, bytes);
        for (const status of statusesIn(answer)) expect(status, `${JSON.stringify(Buffer.from(bytes).toString("latin1"))} -> ${answer.slice(0, 300)}`).toBeLessThan(500);
      }),
      { numRuns: RAW_RUNS },
    );
  }, 120_000);

  it("leaves both apps healthy: admin health answers 200 and a normal call still works", async () => {
    const health = await fetch(`${stet.node.adminUrl}/health`);
    expect(health.status).toBe(200);
    const res = await stet.call("/Greeter/greet", "Ada");
    expect(res.status).toBe(200);
    expect(await res.json()).toBe('Hello, "Ada"!');
    expect((await fetch(`${stet.node.ingressUrl}/restate/health`)).status).toBe(200);
  });
});
