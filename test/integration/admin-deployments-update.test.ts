import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newDeploymentId } from "../../protocol/ids.js";
import { buildAdminApp } from "../../server/admin/index.js";
import { openSqliteRegistry, type SqliteRegistry } from "../helpers/registry.js";
import { counter, greeter, signup, startSdkEndpoint, unusedPort, type TestServer } from "./admin-fixtures.js";

// `PATCH /deployments/{id}` as restate-server 1.7.12 answers it (checked against the real server):
// discovery again, at the new uri if given; without `overwrite` only the connection details change.
let sqlite: SqliteRegistry;
let app: FastifyInstance;
const servers: TestServer[] = [];

beforeEach(async () => {
  sqlite = await openSqliteRegistry();
  app = buildAdminApp({ registry: sqlite.registry, discovery: { timeoutMs: 5_000 } });
  await app.ready();
});

afterEach(async () => {
  await app.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  sqlite.close();
});

async function endpoint(services: Parameters<typeof startSdkEndpoint>[0]): Promise<TestServer> {
  const server = await startSdkEndpoint(services);
  servers.push(server);
  return server;
}

async function registered(services: Parameters<typeof startSdkEndpoint>[0]): Promise<{ id: string; server: TestServer }> {
  const server = await endpoint(services);
  const res = await app.inject({ method: "POST", url: "/deployments", payload: { uri: server.url } });
  expect(res.statusCode).toBe(201);
  return { id: res.json().id, server };
}

const patch = (id: string, payload: object, prefix = "") => app.inject({ method: "PATCH", url: `${prefix}/deployments/${id}`, payload });
const names = (json: { services: Array<{ name: string }> }) => json.services.map((s) => s.name).sort();

describe("PATCH /deployments/{id}", () => {
  it("moves the deployment to a new uri and headers, keeping its id, creation time and services", async () => {
    const { id } = await registered([greeter, counter, signup]);
    const before = (await app.inject({ method: "GET", url: `/deployments/${id}` })).json();
    const moved = await endpoint([greeter]);

    const res = await patch(id, { uri: moved.url, additional_headers: { "X-Token": "t1" } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ id, uri: `${moved.url}/`, additional_headers: { "x-token": "t1" }, created_at: before.created_at });
    // Without overwrite, the services stay as registered, even those the new endpoint lacks.
    expect(names(body)).toEqual(["Counter", "Greeter", "Signup"]);
    expect((await app.inject({ method: "GET", url: `/deployments/${id}` })).json()).toEqual(body);
    // The new endpoint was asked, with the new header.
    expect(moved.requests.find((r) => r.path === "/discover")?.headers["x-token"]).toBe("t1");

    // Headers stay when not given.
    const again = await patch(id, {});
    expect(again.json().additional_headers).toEqual({ "x-token": "t1" });
  });

  it("with overwrite, replaces the services with the discovered ones; revisions of kept services stay", async () => {
    const { id } = await registered([greeter, counter]);
    const other = await endpoint([greeter, signup]);
    const res = await patch(id, { uri: other.url, overwrite: true });
    expect(res.statusCode).toBe(200);
    expect(names(res.json())).toEqual(["Greeter", "Signup"]);
    expect(res.json().services.map((s: { revision: number }) => s.revision)).toEqual([1, 1]);
    const services = (await app.inject({ method: "GET", url: "/services" })).json();
    expect(names(services)).toEqual(["Greeter", "Signup"]);
  });

  it("dry_run answers the result and stores nothing", async () => {
    const { id, server } = await registered([greeter, counter]);
    const other = await endpoint([greeter]);
    const res = await patch(id, { uri: other.url, overwrite: true, dry_run: true });
    expect(res.statusCode).toBe(200);
    expect(names(res.json())).toEqual(["Greeter"]);
    const stored = (await app.inject({ method: "GET", url: `/deployments/${id}` })).json();
    expect(stored.uri).toBe(`${server.url}/`);
    expect(names(stored)).toEqual(["Counter", "Greeter"]);
  });

  it("answers 404 for an unknown id, 500 META0003 when discovery fails (nothing changes)", async () => {
    const unknown = newDeploymentId();
    const missing = await patch(unknown, {});
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ message: `The requested deployment '${unknown}' does not exist`, restate_code: null });

    const { id, server } = await registered([greeter]);
    const unreachable = await patch(id, { uri: `http://127.0.0.1:${await unusedPort()}` });
    expect(unreachable.statusCode).toBe(500);
    expect(unreachable.json().restate_code).toBe("META0003");
    expect((await app.inject({ method: "GET", url: `/deployments/${id}` })).json().uri).toBe(`${server.url}/`);
  });

  it("refuses a Lambda arn and a uri another deployment has", async () => {
    const first = await registered([greeter]);
    const second = await registered([counter]);
    expect((await patch(first.id, { arn: "arn:aws:lambda:us-east-1:1:function:f" })).statusCode).toBe(400);
    const taken = await patch(first.id, { uri: second.server.url });
    expect(taken.statusCode).toBe(409);
  });

  it("PUT is the deprecated form: 405 unprefixed and under /v4, an update under /v2", async () => {
    const { id } = await registered([greeter]);
    for (const prefix of ["", "/v4"]) {
      const res = await app.inject({ method: "PUT", url: `${prefix}/deployments/${id}`, payload: {} });
      expect(res.statusCode).toBe(405);
      expect(res.json()).toEqual({ message: "PUT deployment is deprecated, use PATCH instead", restate_code: null });
    }
    const v2 = await app.inject({ method: "PUT", url: `/v2/deployments/${id}`, payload: {} });
    expect(v2.statusCode).toBe(200);
    expect(v2.json().id).toBe(id);
  });
});
