import { once } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newDeploymentId } from "../../protocol/ids.js";
import { buildAdminApp } from "../../server/admin/index.js";
import { openSqliteRegistry, type SqliteRegistry } from "../helpers/registry.js";
import {
  V4,
  counter,
  greeter,
  manifestBody,
  signup,
  startFakeEndpoint,
  startSdkEndpoint,
  unusedPort,
  type TestServer,
} from "./admin-fixtures.js";

let sqlite: SqliteRegistry;
let app: FastifyInstance;
const servers: TestServer[] = [];

beforeEach(async () => {
  sqlite = await openSqliteRegistry();
  app = buildAdminApp({
    registry: sqlite.registry,
    ingressUrl: "http://127.0.0.1:8080/",
    discovery: { timeoutMs: 5_000 },
  });
  await app.ready();
});

afterEach(async () => {
  await app.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  sqlite.close();
});

async function sdkEndpoint(options: { http1?: boolean } = {}): Promise<TestServer> {
  const server = await startSdkEndpoint([greeter, counter, signup], options);
  servers.push(server);
  return server;
}

async function fakeEndpoint(answer: Parameters<typeof startFakeEndpoint>[0]): Promise<TestServer> {
  const server = await startFakeEndpoint(answer);
  servers.push(server);
  return server;
}

const register = (payload: Record<string, unknown>, prefix = "") =>
  app.inject({ method: "POST", url: `${prefix}/deployments`, payload });

const get = (url: string) => app.inject({ method: "GET", url });

async function expectNothingStored(): Promise<void> {
  expect((await get("/deployments")).json()).toEqual({ deployments: [] });
  expect((await get("/services")).json()).toEqual({ services: [] });
}

// The shapes below are what Restate 1.7.12 answers for the same SDK services (checked by hand
// against the real restate-server): defaults filled in on services, handler overrides only when set.
const restateDefaults = {
  public: true,
  idempotency_retention: "1d",
  journal_retention: "1d",
  inactivity_timeout: "1m",
  abort_timeout: "10m",
  enable_lazy_state: false,
  retry_policy: { initial_interval: "500ms", exponentiation_factor: 2, max_attempts: 70, max_interval: "1m", on_max_attempts: "Pause" },
};
const jsonHandler = (name: string, ty?: string) => ({
  name,
  ...(ty === undefined ? {} : { ty }),
  public: true,
  input_description: "application/json",
  output_description: "application/json",
  retry_policy: { max_attempts: null },
});

function expectedServices(deploymentId: string, revision = 1) {
  return [
    { name: "Greeter", ty: "Service", handlers: [jsonHandler("greet")], documentation: "says hello", deployment_id: deploymentId, revision, ...restateDefaults },
    { name: "Counter", ty: "VirtualObject", handlers: [jsonHandler("add", "Exclusive"), jsonHandler("get", "Shared")], deployment_id: deploymentId, revision, ...restateDefaults },
    {
      name: "Signup",
      ty: "Workflow",
      handlers: [jsonHandler("run", "Workflow"), jsonHandler("status", "Shared")],
      deployment_id: deploymentId,
      revision,
      ...restateDefaults,
      workflow_completion_retention: "1d",
    },
  ];
}

describe("admin API: deployments", () => {
  it("registers an official SDK endpoint: 201 with Restate's RegisterDeploymentResponse", async () => {
    const endpoint = await sdkEndpoint();
    const response = await register({ uri: endpoint.url });

    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.id).toMatch(/^dp_1[0-9a-zA-Z]{22}$/);
    expect(response.headers.location).toBe(`deployments/${body.id}`);
    expect(body).toEqual({
      id: body.id,
      services: expectedServices(body.id),
      min_protocol_version: 5,
      max_protocol_version: expect.any(Number),
      sdk_version: expect.stringMatching(/^restate-sdk-typescript\//),
    });
  });

  it("lists and gets deployments, services and handlers in Restate's shapes", async () => {
    const endpoint = await sdkEndpoint();
    const { id } = (await register({ uri: endpoint.url, additional_headers: { "X-Api-Key": "k" } })).json();
    expect(endpoint.requests[0]!.headers["x-api-key"]).toBe("k");

    const common = {
      id,
      uri: `${endpoint.url}/`,
      protocol_type: "BidiStream",
      http_version: "HTTP/2.0",
      additional_headers: { "x-api-key": "k" },
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/),
      min_protocol_version: 5,
      max_protocol_version: expect.any(Number),
      sdk_version: expect.stringMatching(/^restate-sdk-typescript\//),
    };
    const list = await get("/deployments");
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({
      deployments: [{ ...common, services: [{ name: "Greeter", revision: 1 }, { name: "Counter", revision: 1 }, { name: "Signup", revision: 1 }] }],
    });
    expect((await get(`/deployments/${id}`)).json()).toEqual({ ...common, services: expectedServices(id) });

    const [greeterJson, counterJson, signupJson] = expectedServices(id);
    expect((await get("/services")).json()).toEqual({ services: [counterJson, greeterJson, signupJson] });
    expect((await get("/services/Counter")).json()).toEqual(counterJson);
    expect((await get("/services/Counter/handlers")).json()).toEqual({ handlers: counterJson!.handlers });
    expect((await get("/services/Counter/handlers/get")).json()).toEqual(jsonHandler("get", "Shared"));
  });

  it("serves the same routes under /v2 to /v4 and refuses older API versions", async () => {
    const endpoint = await sdkEndpoint();
    expect((await register({ uri: endpoint.url }, "/v4")).statusCode).toBe(201);
    for (const prefix of ["/v2", "/v3", "/v4"]) {
      expect((await get(`${prefix}/services/Greeter`)).json().name).toBe("Greeter");
    }
    const old = await get("/v1/deployments");
    expect(old.statusCode).toBe(400);
    expect(old.json().message).toBe("Unsupported Admin API version V1. This server supports versions between V2 and V4.");
    // Errors name the path as asked, prefix included; versions past V4 are not routes at all.
    const unknown = await get("/v3/nope?x=1");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toBe("no admin route GET /v3/nope?x=1");
    const wrongMethod = await app.inject({ method: "PUT", url: "/v2/deployments" });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.json().message).toContain("/v2/deployments");
    expect((await get("/v5/deployments")).statusCode).toBe(404);
    expect((await get("/v3")).statusCode).toBe(404);
    expect((await get("/v2health")).statusCode).toBe(404);
  });

  it("returns the stored deployment with 200 when the uri is registered again, and overwrites it with force", async () => {
    const endpoint = await sdkEndpoint();
    const first = (await register({ uri: endpoint.url })).json();

    const again = await register({ uri: `${endpoint.url}/`, force: false });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first);

    const forced = await register({ uri: endpoint.url, force: true });
    expect(forced.statusCode).toBe(200);
    expect(forced.json().id).toBe(first.id);
    expect(forced.json().services.map((s: { revision: number }) => s.revision)).toEqual([2, 2, 2]);
    expect((await get("/deployments")).json().deployments).toHaveLength(1);
  });

  it("registers an HTTP/1.1 endpoint (request/response) with use_http_11", async () => {
    const endpoint = await sdkEndpoint({ http1: true });
    const response = await register({ uri: endpoint.url, use_http_11: true });
    expect(response.statusCode).toBe(201);
    const d = (await get(`/deployments/${response.json().id}`)).json();
    expect(d).toMatchObject({ protocol_type: "RequestResponse", http_version: "HTTP/1.1" });
    // Restate reports no inactivity timeout for request/response deployments.
    expect(d.services[0].inactivity_timeout).toBe("0s");
  });

  it("runs a dry run without storing anything", async () => {
    const endpoint = await sdkEndpoint();
    const response = await register({ uri: endpoint.url, dry_run: true });
    expect(response.statusCode).toBe(201);
    expect(response.json().services).toHaveLength(3);
    await expectNothingStored();
  });

  it("rejects a service type change with 409 META0006 unless breaking", async () => {
    const endpoint = await sdkEndpoint();
    await register({ uri: endpoint.url });
    const changed = await fakeEndpoint(() => ({ contentType: V4, body: manifestBody([{ name: "Counter", ty: "SERVICE", handlers: [{ name: "add" }] }]) }));

    const refused = await register({ uri: changed.url });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual({ message: expect.stringContaining("'Counter' changing the service type"), restate_code: "META0006" });
    expect((await get("/deployments")).json().deployments).toHaveLength(1);

    const breaking = await register({ uri: changed.url, breaking: true });
    expect(breaking.statusCode).toBe(201);
    expect((await get("/services/Counter")).json()).toMatchObject({ ty: "Service", revision: 2 });
  });

  it("deletes only with force=true: 501 without, 202 with, then 404", async () => {
    const endpoint = await sdkEndpoint();
    const { id } = (await register({ uri: endpoint.url })).json();

    // Restate 1.7.12: 501 with an empty body and no content-type, for a known or an unknown id.
    for (const url of [`/deployments/${id}`, `/deployments/${id}?force=false`, `/v4/deployments/${newDeploymentId()}`]) {
      const refused = await app.inject({ method: "DELETE", url });
      expect(refused.statusCode).toBe(501);
      expect(refused.body).toBe("");
      expect(refused.headers["content-type"]).toBeUndefined();
    }
    const deleted = await app.inject({ method: "DELETE", url: `/deployments/${id}?force=true` });
    expect(deleted.statusCode).toBe(202);
    expect(deleted.body).toBe("");
    await expectNothingStored();
    const again = await app.inject({ method: "DELETE", url: `/deployments/${id}?force=true` });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toEqual({ message: `not found in the schema registry: deployment with id '${id}'`, restate_code: null });
    expect((await app.inject({ method: "DELETE", url: `/deployments/${id}?force=maybe` })).statusCode).toBe(400);
  });
});

describe("admin API: failures store nothing", () => {
  it("reports an unreachable uri (500, META0003)", async () => {
    const port = await unusedPort();
    const response = await register({ uri: `http://127.0.0.1:${port}` });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      message: expect.stringMatching(new RegExp(`^\\[META0003\\] error when calling 'http://127\\.0\\.0\\.1:${port}/discover': .*ECONNREFUSED`)),
      restate_code: "META0003",
    });
    await expectNothingStored();
  });

  it("names the content type of a non-manifest answer over HTTP/1.1 (500, META0013)", async () => {
    const endpoint = await fakeEndpoint(() => ({ contentType: "text/html", body: "<html>welcome</html>" }));
    const response = await register({ uri: endpoint.url, use_http_11: true });
    expect(response.statusCode).toBe(500);
    expect(response.json().restate_code).toBe("META0013");
    expect(response.json().message).toContain('is not an endpoint manifest: got status code 200, content-type "text/html", 20 bytes: "<html>welcome</html>"');
    await expectNothingStored();
  });

  it("names the status of an error answer over HTTP/1.1 (500, META0003)", async () => {
    const endpoint = await fakeEndpoint(() => ({ status: 503, contentType: "text/plain", body: "down for maintenance" }));
    const response = await register({ uri: endpoint.url, use_http_11: true });
    expect(response.statusCode).toBe(500);
    expect(response.json().restate_code).toBe("META0003");
    expect(response.json().message).toContain('got status code 503, content-type "text/plain", 20 bytes: "down for maintenance"');
    await expectNothingStored();
  });

  it.each([200, 404])("answers a web server's address (HTML %i, no HTTP/2) like Restate (500, META0014), with a short reason", async (status) => {
    const page = `<!DOCTYPE html>\n<html>\n<head><title>My site</title></head>\n<body>\n${"<p>Welcome to my site.</p>\n".repeat(500)}</body>\n</html>\n`;
    const site = http.createServer((_req, res) => res.writeHead(status, { "content-type": "text/html; charset=utf-8" }).end(page));
    site.listen(0, "127.0.0.1");
    await once(site, "listening");
    try {
      const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
      const response = await register({ uri: url });
      expect(response.statusCode).toBe(500);
      const { message, restate_code } = response.json() as { message: string; restate_code: string };
      expect(restate_code).toBe("META0014");
      expect(message).toMatch(/^\[META0014\] error when calling 'http:\/\/127\.0\.0\.1:\d+\/discover': not a Restate endpoint/);
      expect(message).toContain(`status code ${status}, content-type "text/html; charset=utf-8", ${page.length} bytes: "<!DOCTYPE html> <html> <head><title>My site</title></head>`);
      expect(message).not.toContain("</html>");
      expect(message).not.toMatch(/[\n\r]/);
      expect(message.length).toBeLessThan(500);
      await expectNothingStored();
    } finally {
      site.closeAllConnections();
      await new Promise((resolve) => site.close(resolve));
    }
  });

  it("names the invalid field of an invalid manifest", async () => {
    const endpoint = await fakeEndpoint(() => ({ contentType: V4, body: manifestBody([{ name: "Greeter", ty: "SERVICE", handlers: [{ name: "" }] }]) }));
    const response = await register({ uri: endpoint.url });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({
      message: expect.stringContaining('services[0].handlers[0].name must be a non-empty string, got ""'),
      restate_code: null,
    });
    await expectNothingStored();
  });

  it("answers 400 for a manifest contradicting itself, like Restate", async () => {
    const endpoint = await fakeEndpoint(() => ({ contentType: V4, body: manifestBody([{ name: "A", ty: "VIRTUAL_OBJECT", handlers: [{ name: "x", ty: "WORKFLOW" }] }]) }));
    const response = await register({ uri: endpoint.url });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain("services[0].handlers[0].ty is WORKFLOW");
    await expectNothingStored();
  });

  it.each<[string, unknown, string]>([
    ["no uri", {}, "The request field 'uri' is invalid"],
    ["a relative uri", { uri: "127.0.0.1:9080" }, "is not an absolute URI"],
    ["a non-http uri", { uri: "ftp://127.0.0.1/x" }, "must use http or https"],
    ["a lambda arn", { arn: "arn:aws:lambda:eu-central-1:1:function:f:1" }, "Lambda deployments are not supported"],
    ["a bad header name", { uri: "http://127.0.0.1:1", additional_headers: { "bad header": "x" } }, "is not a valid header name"],
    ["a non-string header", { uri: "http://127.0.0.1:1", additional_headers: { a: { b: 1 } } }, "The request is invalid"],
    ["a mistyped flag", { uri: "http://127.0.0.1:1", force: "often" }, "The request is invalid"],
  ])("answers 400 for a body with %s", async (_name, payload, message) => {
    const response = await app.inject({ method: "POST", url: "/deployments", payload: payload as Record<string, unknown> });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: expect.stringContaining(message), restate_code: null });
    await expectNothingStored();
  });
});

describe("admin API: lookups", () => {
  it("answers 404 with Restate's messages for unknown deployments, services and handlers", async () => {
    const endpoint = await sdkEndpoint();
    await register({ uri: endpoint.url });
    const unknownId = newDeploymentId();
    expect((await get(`/deployments/${unknownId}`)).json()).toEqual({ message: `The requested deployment '${unknownId}' does not exist`, restate_code: null });
    expect((await get(`/deployments/${unknownId}`)).statusCode).toBe(404);
    const service = await get("/services/Nope");
    expect(service.statusCode).toBe(404);
    expect(service.json()).toEqual({ message: "The requested service 'Nope' does not exist", restate_code: null });
    expect((await get("/services/Nope/handlers")).statusCode).toBe(404);
    const handler = await get("/services/Counter/handlers/nope");
    expect(handler.statusCode).toBe(404);
    expect(handler.json()).toEqual({ message: "The requested handler 'nope' on service 'Counter' does not exist", restate_code: null });
  });

  it("answers 400 for a malformed deployment id", async () => {
    const response = await get("/deployments/garbage");
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain("garbage");
  });

  it("answers health and version", async () => {
    const health = await get("/health");
    expect(health.statusCode).toBe(200);
    expect(health.body).toBe("");
    expect((await get("/version")).json()).toEqual({
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      min_admin_api_version: 2,
      max_admin_api_version: 4,
      ingress_endpoint: "http://127.0.0.1:8080/",
      features: {},
    });
  });
});
