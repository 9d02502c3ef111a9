import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvocationControl } from "../../server/admin/index.js";
import { buildAdminApp } from "../../server/admin/index.js";
import { openSqliteRegistry, type SqliteRegistry } from "../helpers/registry.js";
import { counter, greeter, signup, startSdkEndpoint, type TestServer } from "./admin-fixtures.js";

// `GET /services/{service}/openapi` for services registered from a real SDK endpoint, and `GET
// /openapi`, the admin API's own document, built from the declared routes.
let sqlite: SqliteRegistry;
let app: FastifyInstance;
let endpoint: TestServer;

// The invocation routes are only declared; these tests never call them.
const invocations = { control: async () => ({ applied: false }), getInvocation: () => undefined } as unknown as InvocationControl;

beforeAll(async () => {
  sqlite = await openSqliteRegistry();
  app = buildAdminApp({ registry: sqlite.registry, ingressUrl: "http://127.0.0.1:8080/", discovery: { timeoutMs: 5_000 }, invocations });
  await app.ready();
  endpoint = await startSdkEndpoint([greeter, counter, signup]);
  expect((await app.inject({ method: "POST", url: "/deployments", payload: { uri: endpoint.url } })).statusCode).toBe(201);
});

afterAll(async () => {
  await app.close();
  await endpoint.close();
  sqlite.close();
});

type Doc = { openapi: string; info: { title: string; version: string }; servers?: unknown[]; paths: Record<string, Record<string, { operationId: string }>> };

describe("GET /services/{service}/openapi", () => {
  it("answers the ingress document of a registered service, with the ingress as its server", async () => {
    for (const prefix of ["", "/v4"]) {
      const res = await app.inject({ method: "GET", url: `${prefix}/services/Greeter/openapi` });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
      const doc = res.json<Doc>();
      expect(doc).toMatchObject({ openapi: "3.1.0", info: { title: "Greeter", version: "1" }, servers: [{ url: "http://127.0.0.1:8080/" }] });
      expect(Object.keys(doc.paths)).toEqual([
        "/restate/call/Greeter/greet",
        "/restate/invocation/Greeter/greet/{idempotencyKey}/attach",
        "/restate/invocation/Greeter/greet/{idempotencyKey}/output",
        "/restate/send/Greeter/greet",
      ]);
    }
    const wf = (await app.inject({ method: "GET", url: "/services/Signup/openapi" })).json<Doc>();
    expect(wf.paths["/restate/workflow/Signup/{key}/attach"]?.["get"]?.operationId).toBe("runAttach");
    const obj = (await app.inject({ method: "GET", url: "/services/Counter/openapi" })).json<Doc>();
    expect(obj.paths["/restate/call/Counter/{key}/get"]?.["post"]?.operationId).toBe("get");
  });

  it("answers 404 for an unknown service", async () => {
    const res = await app.inject({ method: "GET", url: "/services/Nope/openapi" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ message: "The requested service 'Nope' does not exist", restate_code: null });
  });
});

describe("GET /openapi", () => {
  it("documents every admin route with its path and query parameters, and none of the 405 answers", async () => {
    const res = await app.inject({ method: "GET", url: "/v4/openapi" });
    expect(res.statusCode).toBe(200);
    const doc = res.json<Doc & { paths: Record<string, Record<string, { parameters: Array<{ name: string; in: string }> }>> }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths["/deployments/{deployment}"]!).sort()).toEqual(["delete", "get", "patch", "put"]);
    expect(doc.paths["/deployments/{deployment}"]!["delete"]!.parameters).toEqual([
      { name: "deployment", in: "path", required: true, schema: { type: "string" } },
      { name: "force", in: "query", required: false, schema: { type: "boolean" } },
    ]);
    for (const path of ["/subscriptions", "/subscriptions/{subscription}", "/services/{service}/openapi", "/invocations/{invocation_id}/cancel", "/internal/invocations_batch_operations/kill"]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    // 405 answers and /openapi itself are not routes to document.
    expect(Object.keys(doc.paths["/subscriptions"]!).sort()).toEqual(["get", "post"]);
    expect(doc.paths["/openapi"]).toBeUndefined();
  });
});
