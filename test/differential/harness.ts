import { afterAll, beforeAll, expect } from "vitest";
import { killAll, startStetProcess, type StetProcess } from "../helpers/processes.js";
import { killAllRestateServers, startRestateServer, type RestateServer } from "../helpers/restate-server.js";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Differential testing: the same scenario, against stet and against the official `restate-server`, with
 * the same official-SDK service code. Each request a scenario makes is recorded (status, selected
 * headers, body), normalized for values that legitimately differ (ids, timestamps, ports), and the two
 * records must be equal.
 */

export const INVOCATION_ID = /^inv_1[0-9A-Za-z]{33}$/;
const INVOCATION_ID_ANYWHERE = /inv_1[0-9A-Za-z]{33}(?![0-9A-Za-z])/g;
const DEPLOYMENT_ID_ANYWHERE = /dp_[0-9A-Za-z]{20,}/g;
// Awakeable ids (`sign_1…` since protocol v4, `prom_1…` before).
const AWAKEABLE_ID_ANYWHERE = /(?:sign|prom)_1[0-9A-Za-z_-]{20,}/g;
// The targets' tags (see Target.tag).
const TAG_ANYWHERE = /tag(?:stet|restate)/g;
const TIMESTAMP_ANYWHERE = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;
// Lists restate-server returns in hash-map order (it differs between two GETs): compared sorted by name.
const UNORDERED_KEYS = new Set(["services", "handlers"]);
// Keys whose values are instants or durations of this particular run.
const VOLATILE_KEYS = new Set(["created_at", "modified_at", "last_attempt_at", "next_retry_at", "completed_at"]);

/** Response headers compared by default (values normalized like bodies). */
export const DEFAULT_HEADERS = ["content-type", "x-restate-id", "x-restate-error-source"];

export type ServerName = "stet" | "restate-server";

/**
 * How much of a response to compare: everything; everything but an error body's `message` text; the
 * body's JSON shape (keys and value types); its keys only; or the status code alone.
 */
export type Compare = "exact" | "ignore-message" | "shape" | "keys" | "status-only";

export interface RequestOptions {
  readonly headers?: Record<string, string>;
  /** Sent as is (no JSON encoding, no content-type added). */
  readonly rawBody?: string;
  /** Headers to record in addition to DEFAULT_HEADERS. */
  readonly recordHeaders?: readonly string[];
  readonly compare?: Compare;
  /** A label for this step in the record (default: `METHOD path`). */
  readonly label?: string;
}

/** What a scenario sees of one response: raw values, for follow-up requests. */
export interface Observed {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  readonly json: unknown;
  /** The `x-restate-id` header, if any. */
  readonly invocationId: string | null;
}

/** One normalized step of a record. */
export interface Step {
  readonly step: string;
  readonly status?: number;
  readonly headers?: Record<string, string | null>;
  readonly body?: unknown;
  readonly value?: unknown;
}

export interface Target {
  readonly name: ServerName;
  readonly ingressUrl: string;
  readonly adminUrl: string;
  /** POST to ingress with a JSON body (none when `body` is undefined). */
  call(path: string, body?: unknown, options?: RequestOptions): Promise<Observed>;
  /** GET on ingress. */
  get(path: string, options?: RequestOptions): Promise<Observed>;
  /** Any method on ingress. */
  ingress(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<Observed>;
  /** Any method on the admin API, JSON body. */
  admin(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<Observed>;
  /**
   * Records a value the scenario derived itself (a counter, a comparison), normalized like bodies;
   * `after` reshapes the normalized value (e.g. sorts rows whose order the server does not fix, which
   * can only be done once ids are placeholders).
   */
  note(step: string, value: unknown, after?: (normalized: unknown) => unknown): void;
  /**
   * Polls an admin GET until `until` holds (bounded); records only the final response. For state that
   * settles asynchronously (e.g. an invocation completing after `/send`).
   */
  adminUntil(path: string, until: (o: Observed) => boolean, options?: RequestOptions): Promise<Observed>;
  /** Like adminUntil, for a POST without body on ingress (e.g. a shared handler reading state). */
  callUntil(path: string, until: (o: Observed) => boolean, options?: RequestOptions): Promise<Observed>;
  /**
   * A string unique to this server's run, for keys that must not collide in the shared endpoint
   * (`key-${t.tag}`); recorded as `<tag>`.
   */
  readonly tag: string;
}

export type Scenario = (target: Target) => Promise<void>;

interface Normalizer {
  readonly invocations: Map<string, string>;
  readonly deployments: Map<string, string>;
  readonly awakeables: Map<string, string>;
  readonly urls: Array<[RegExp, string]>;
}

function normalizeString(s: string, n: Normalizer): string {
  let out = s;
  for (const [url, placeholder] of n.urls) out = out.replace(url, placeholder);
  out = out.replace(INVOCATION_ID_ANYWHERE, (id) => numbered(n.invocations, id, "inv"));
  out = out.replace(DEPLOYMENT_ID_ANYWHERE, (id) => numbered(n.deployments, id, "dp"));
  out = out.replace(AWAKEABLE_ID_ANYWHERE, (id) => numbered(n.awakeables, id, "awk"));
  out = out.replace(TIMESTAMP_ANYWHERE, "<timestamp>");
  out = out.replace(TAG_ANYWHERE, "<tag>");
  return out;
}

/** The same id always maps to the same placeholder, so "the header names the id in the body" is checked. */
function numbered(seen: Map<string, string>, id: string, kind: string): string {
  let placeholder = seen.get(id);
  if (placeholder === undefined) {
    placeholder = `<${kind}#${seen.size + 1}>`;
    seen.set(id, placeholder);
  }
  return placeholder;
}

export function normalize(value: unknown, n: Normalizer, key?: string): unknown {
  if (key !== undefined && VOLATILE_KEYS.has(key) && value !== null && value !== undefined) return "<volatile>";
  if (typeof value === "string") return normalizeString(value, n);
  if (Array.isArray(value)) {
    const items = value.map((v) => normalize(v, n));
    return key !== undefined && UNORDERED_KEYS.has(key) ? items.sort(byName) : items;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalize(v, n, k);
    return out;
  }
  return value;
}

function byName(a: unknown, b: unknown): number {
  const name = (x: unknown) => (x !== null && typeof x === "object" ? String((x as { name?: unknown }).name) : String(x));
  return name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0;
}

/**
 * `application/json; charset=utf-8` and `application/json` mean the same (JSON is UTF-8 by definition,
 * RFC 8259 §8.1; the parameter is ignored), so a `charset=utf-8` parameter is dropped before comparing.
 * Any other parameter is kept.
 */
export function normalizeContentType(value: string): string {
  return value.replace(/;\s*charset="?utf-8"?/i, "");
}

/** Replaces every leaf with its type: compares structure, not content. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  }
  return value === null ? "null" : typeof value;
}

function withoutMessage(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value) || !("message" in value)) return value;
  return { ...value, message: "<message>" };
}

function keysOf(value: unknown): unknown {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? Object.keys(value).sort() : shapeOf(value);
}

/** Matches `url` but not a longer port that starts with the same digits. */
function urlPattern(url: string): RegExp {
  return new RegExp(`${url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![0-9])`, "g");
}

function compareBody(body: unknown, compare: Compare): unknown {
  if (compare === "shape") return shapeOf(body);
  if (compare === "keys") return keysOf(body);
  if (compare === "ignore-message") return withoutMessage(body);
  return body;
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A target for one server, and `finish()`, which normalizes what it recorded (in call order). */
export function makeTarget(name: ServerName, server: { ingressUrl: string; adminUrl: string }, endpointUrl: string): { target: Target; finish(): Step[] } {
  const n: Normalizer = {
    invocations: new Map(),
    deployments: new Map(),
    awakeables: new Map(),
    urls: [
      [urlPattern(endpointUrl), "<endpoint>"],
      [urlPattern(server.ingressUrl), "<ingress>"],
      [urlPattern(server.adminUrl), "<admin>"],
    ],
  };
  // Steps are normalized only at the end, in call order: placeholders (<inv#1>, …) are numbered by
  // first appearance, which must not depend on which of two concurrent responses came back first.
  const steps: Array<() => Step> = [];

  async function request(base: "ingress" | "admin", method: string, path: string, body: unknown, options: RequestOptions = {}): Promise<Observed> {
    const url = (base === "ingress" ? server.ingressUrl : server.adminUrl) + path;
    const headers: Record<string, string> = { ...options.headers };
    let payload: string | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] ??= "application/json";
    }
    const step = options.label ?? `${method} ${base === "admin" ? "admin:" : ""}${path}`;
    const slot = steps.push(() => ({ step: `${normalizeString(step, n)} (no response)` })) - 1;
    const res = await fetch(url, { method, headers, body: payload, signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    const json = parseJson(text);
    const observed: Observed = { status: res.status, headers: res.headers, text, json, invocationId: res.headers.get("x-restate-id") };
    const compare = options.compare ?? "exact";
    steps[slot] = () => {
      const label = normalizeString(step, n);
      if (compare === "status-only") return { step: label, status: res.status };
      const recorded: Record<string, string | null> = {};
      for (const h of [...DEFAULT_HEADERS, ...(options.recordHeaders ?? [])]) {
        const v = res.headers.get(h);
        recorded[h] = v === null ? null : normalizeString(h === "content-type" ? normalizeContentType(v) : v, n);
      }
      const idHeader = observed.invocationId;
      if (idHeader !== null && !INVOCATION_ID.test(idHeader)) recorded["x-restate-id"] = `<malformed:${idHeader}>`;
      const bodyValue = json !== undefined ? normalize(json, n) : normalizeString(text, n);
      return { step: label, status: res.status, headers: recorded, body: compareBody(bodyValue, compare) };
    };
    return observed;
  }

  /** Repeats a request, unrecorded, until `until` holds (bounded); then records it once more. */
  async function poll(base: "ingress" | "admin", method: string, path: string, until: (o: Observed) => boolean, options?: RequestOptions): Promise<Observed> {
    const url = (base === "ingress" ? server.ingressUrl : server.adminUrl) + path;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const res = await fetch(url, { method, signal: AbortSignal.timeout(5_000) });
      const text = await res.text();
      const o: Observed = { status: res.status, headers: res.headers, text, json: parseJson(text), invocationId: res.headers.get("x-restate-id") };
      if (until(o) || Date.now() > deadline) return request(base, method, path, undefined, options);
      await new Promise((r) => setTimeout(r, 50)); // poll interval while state settles
    }
  }

  const target: Target = {
    name,
    ingressUrl: server.ingressUrl,
    adminUrl: server.adminUrl,
    tag: name === "stet" ? "tagstet" : "tagrestate",
    call: (path, body, options) => request("ingress", "POST", path, body, options),
    get: (path, options) => request("ingress", "GET", path, undefined, options),
    ingress: (method, path, body, options) => request("ingress", method, path, body, options),
    admin: (method, path, body, options) => request("admin", method, path, body, options),
    note: (step, value, after) => {
      steps.push(() => ({ step: normalizeString(step, n), value: after === undefined ? normalize(value, n) : after(normalize(value, n)) }));
    },
    adminUntil: (path, until, options) => poll("admin", "GET", path, until, options),
    callUntil: (path, until, options) => poll("ingress", "POST", path, until, options),
  };
  return { target, finish: () => steps.map((s) => s()) };
}

/** Polls `check` until it returns a value other than undefined (bounded; for state set by handlers). */
export async function pollUntil<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20)); // poll interval
  }
}

/**
 * An invocation's status as the server reports it (not recorded): restate-server's SQL introspection
 * (`sys_invocation.status` over `POST /query`), stet's own `GET /invocations/{id}`, which uses the same
 * status names. Undefined when the server does not know the invocation.
 */
export async function invocationStatus(t: Target, id: string): Promise<string | undefined> {
  if (t.name === "stet") {
    const res = await fetch(`${t.adminUrl}/invocations/${id}`, { signal: AbortSignal.timeout(5_000) });
    if (res.status !== 200) return undefined;
    return ((await res.json()) as { status: string }).status;
  }
  const res = await fetch(`${t.adminUrl}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: `SELECT status FROM sys_invocation WHERE id = '${id}'` }),
    signal: AbortSignal.timeout(5_000),
  });
  if (res.status !== 200) throw new Error(`restate-server: POST /query answered ${res.status}: ${await res.text()}`);
  const { rows } = (await res.json()) as { rows: Array<{ status: string }> };
  return rows[0]?.status;
}

/**
 * Polls the invocation's status until it is `wanted` (bounded), then records the status it has under
 * `step`: for state changes an admin operation applies asynchronously (pause, resume).
 */
export async function noteStatus(t: Target, id: string, step: string, wanted: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let status = await invocationStatus(t, id);
  while (status !== wanted && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50)); // poll interval while the operation is applied
    status = await invocationStatus(t, id);
  }
  t.note(step, status ?? "<unknown>");
}

type Services = Parameters<typeof startEndpoint>[0];

export interface Differential {
  /** Runs `scenario` against both servers (in parallel) and expects equal normalized records. */
  compare(scenario: Scenario): Promise<void>;
  /** Runs `scenario` against both servers (in parallel) and returns both normalized records. */
  records(scenario: Scenario): Promise<{ stet: Step[]; restate: Step[] }>;
  /** Runs `scenario` against restate-server only (to capture its behaviour). */
  restateRecord(scenario: Scenario): Promise<Step[]>;
  /** The normalized record of registering the endpoint (`POST /deployments`) on each server. */
  readonly registration: { stet: Step[]; restate: Step[] };
}

/**
 * Sets up one official-SDK endpoint serving `services`, one stet and one restate-server for the calling
 * test file (beforeAll/afterAll), and registers the endpoint with both.
 */
export function differential(services: Services, options: { http?: 1 | 2 } = {}): Differential {
  let endpoint: TestEndpoint | undefined;
  let stet: StetProcess | undefined;
  let restate: RestateServer | undefined;
  const stetDir = tempDir("stet-diff-");
  const registration: { stet: Step[]; restate: Step[] } = { stet: [], restate: [] };

  beforeAll(async () => {
    const started = await Promise.allSettled([
      startEndpoint(services, { http: options.http ?? 2 }),
      startStetProcess({ dataDir: `${stetDir.path}/data` }),
      startRestateServer(),
    ]);
    if (started[0].status === "fulfilled") endpoint = started[0].value;
    if (started[1].status === "fulfilled") stet = started[1].value;
    if (started[2].status === "fulfilled") restate = started[2].value;
    const failed = started.find((s) => s.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    const register = async (name: ServerName, server: { ingressUrl: string; adminUrl: string }) => {
      const { target, finish } = makeTarget(name, server, endpoint!.url);
      // An HTTP/1.1 endpoint (request/response mode) must be registered as one: restate-server discovers over HTTP/2 otherwise.
      const body = options.http === 1 ? { uri: endpoint!.url, use_http_11: true } : { uri: endpoint!.url };
      const res = await target.admin("POST", "/deployments", body);
      if (res.status !== 201 && res.status !== 200) throw new Error(`${name}: registration failed: ${res.status} ${res.text}`);
      return finish();
    };
    [registration.stet, registration.restate] = await Promise.all([register("stet", stet!), register("restate-server", restate!)]);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([endpoint?.close(), stet ? stopStet(stet) : undefined, restate?.stop()]);
    killAll();
    killAllRestateServers();
    stetDir.remove();
  }, 30_000);

  const started = () => {
    if (stet === undefined || restate === undefined || endpoint === undefined) throw new Error("differential servers not started");
    return { stet, restate, endpoint };
  };

  const records = async (scenario: Scenario) => {
    const servers = started();
    const s = makeTarget("stet", servers.stet, servers.endpoint.url);
    const r = makeTarget("restate-server", servers.restate, servers.endpoint.url);
    const [sOutcome, rOutcome] = await Promise.allSettled([scenario(s.target), scenario(r.target)]);
    const steps = { stet: s.finish(), restate: r.finish() };
    if (sOutcome.status === "rejected" || rOutcome.status === "rejected") {
      // Show how far each server got: the last step of the one that failed is usually the answer.
      const reason = (o: PromiseSettledResult<void>) => (o.status === "rejected" ? String(o.reason) : "completed");
      throw new Error(
        `scenario failed — stet: ${reason(sOutcome)}; restate-server: ${reason(rOutcome)}\n` +
          `stet steps: ${JSON.stringify(steps.stet, null, 1)}\nrestate-server steps: ${JSON.stringify(steps.restate, null, 1)}`,
      );
    }
    return steps;
  };

  return {
    registration,
    records,
    compare: async (scenario) => {
      const { stet: stetSteps, restate: restateSteps } = await records(scenario);
      expect(stetSteps).toEqual(restateSteps);
    },
    restateRecord: async (scenario) => {
      const servers = started();
      const r = makeTarget("restate-server", servers.restate, servers.endpoint.url);
      await scenario(r.target);
      return r.finish();
    },
  };
}

async function stopStet(stet: StetProcess): Promise<void> {
  stet.child.kill("SIGTERM");
  const timer = setTimeout(() => stet.child.kill("SIGKILL"), 5_000);
  await stet.exited;
  clearTimeout(timer);
}
