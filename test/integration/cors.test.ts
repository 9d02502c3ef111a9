import * as restate from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";

// The ingress's CORS headers, exactly as restate-server 1.7.12 sends them (tower-http's very permissive layer).

const greeter = restate.service({
  name: "CorsGreeter",
  handlers: { greet: async (_ctx: restate.Context, name: string) => `hi ${name}` },
});

let endpoint: TestEndpoint;
let stet: TestStet;
let ingress: string;

beforeAll(async () => {
  endpoint = await startEndpoint([greeter]);
  stet = await startTestStet();
  await stet.register(endpoint.url);
  ingress = stet.node.ingressUrl;
});

afterAll(async () => {
  await stet?.close();
  await endpoint?.close();
});

const VARY = "origin, access-control-request-method, access-control-request-headers";
const ORIGIN = "http://example.com";

/** The response's headers except the ones that vary per connection/time. */
async function headersOf(method: string, path: string, headers: Record<string, string>, body?: string) {
  const res = await fetch(`${ingress}${path}`, { method, headers, body });
  const text = await res.text();
  const seen: Record<string, string> = {};
  for (const [k, v] of res.headers) if (!["date", "connection", "keep-alive"].includes(k)) seen[k] = v;
  return { status: res.status, text, headers: seen };
}

describe("ingress CORS", () => {
  it("answers a preflight with 200, empty, echoing origin, method and headers", async () => {
    const r = await headersOf("OPTIONS", "/CorsGreeter/greet", {
      origin: ORIGIN,
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type, x-foo",
    });
    expect(r).toEqual({
      status: 200,
      text: "",
      headers: {
        "access-control-allow-credentials": "true",
        "access-control-allow-headers": "content-type, x-foo",
        "access-control-allow-methods": "POST",
        "access-control-allow-origin": ORIGIN,
        "content-length": "0",
        vary: VARY,
      },
    });
  });

  it("answers any OPTIONS with 200, whatever the path, with only the headers that apply", async () => {
    for (const path of ["/CorsGreeter/greet", "/", "/restate/health", "/Nope/x/y/z/w", "/restate/awakeables/x/resolve"]) {
      expect(await headersOf("OPTIONS", path, {})).toEqual({
        status: 200,
        text: "",
        headers: { "access-control-allow-credentials": "true", "content-length": "0", vary: VARY },
      });
    }
    expect(await headersOf("OPTIONS", "/CorsGreeter/greet", { origin: ORIGIN })).toEqual({
      status: 200,
      text: "",
      headers: { "access-control-allow-credentials": "true", "access-control-allow-origin": ORIGIN, "content-length": "0", vary: VARY },
    });
    const methodOnly = await headersOf("OPTIONS", "/CorsGreeter/greet", { "access-control-request-method": "PUT" });
    expect(methodOnly.headers["access-control-allow-methods"]).toBe("PUT");
    expect(methodOnly.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("adds origin, credentials and vary to a successful call", async () => {
    const r = await headersOf("POST", "/CorsGreeter/greet", { origin: ORIGIN, "content-type": "application/json" }, '"ann"');
    expect(r.status).toBe(200);
    expect(r.text).toBe('"hi ann"');
    expect(r.headers["access-control-allow-origin"]).toBe(ORIGIN);
    expect(r.headers["access-control-allow-credentials"]).toBe("true");
    expect(r.headers.vary).toBe(VARY);
    expect(r.headers["access-control-allow-methods"]).toBeUndefined();
    expect(r.headers["access-control-allow-headers"]).toBeUndefined();
  });

  it("adds credentials and vary (no origin) to a call without Origin", async () => {
    const r = await headersOf("POST", "/CorsGreeter/greet", { "content-type": "application/json" }, '"bo"');
    expect(r.status).toBe(200);
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
    expect(r.headers["access-control-allow-credentials"]).toBe("true");
    expect(r.headers.vary).toBe(VARY);
  });

  it("adds the headers to error responses", async () => {
    const r = await headersOf("POST", "/Nope/greet", { origin: ORIGIN, "content-type": "application/json" }, "{}");
    expect(r.status).toBe(404);
    expect(r.headers["access-control-allow-origin"]).toBe(ORIGIN);
    expect(r.headers["access-control-allow-credentials"]).toBe("true");
    expect(r.headers.vary).toBe(VARY);
    expect(r.headers["x-restate-error-source"]).toBe("ingress");
    expect(Object.keys(r.headers).filter((k) => k.startsWith("access-control-")).sort()).toEqual([
      "access-control-allow-credentials",
      "access-control-allow-origin",
    ]);
    const health = await headersOf("GET", "/restate/health", { origin: "null" });
    expect(health.headers["access-control-allow-origin"]).toBe("null");
  });
});
