import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAdminApp } from "../../server/admin/index.js";
import { openSqliteRegistry, type SqliteRegistry } from "../helpers/registry.js";
import { greeter, startSdkEndpoint, type TestServer } from "./admin-fixtures.js";

// stet has no Kafka: no subscriptions, and creating one is refused as restate-server 1.7.12 refuses a
// source whose cluster it does not have (statuses and messages checked against the real server).
let sqlite: SqliteRegistry;
let app: FastifyInstance;
let endpoint: TestServer;

beforeAll(async () => {
  sqlite = await openSqliteRegistry();
  app = buildAdminApp({ registry: sqlite.registry, discovery: { timeoutMs: 5_000 } });
  await app.ready();
  endpoint = await startSdkEndpoint([greeter]);
  const registered = await app.inject({ method: "POST", url: "/deployments", payload: { uri: endpoint.url } });
  expect(registered.statusCode).toBe(201);
});

afterAll(async () => {
  await app.close();
  await endpoint.close();
  sqlite.close();
});

const SUB = "sub_11XHoawGhrSJKjOqAi4GlsZ";
const create = (payload: unknown) => app.inject({ method: "POST", url: "/subscriptions", payload: payload as object });

describe("GET /subscriptions", () => {
  it("answers an empty list, with or without filters and an API version prefix", async () => {
    for (const url of ["/subscriptions", "/v4/subscriptions", "/v2/subscriptions?sink=service://Greeter/greet&source=kafka://c/t"]) {
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ subscriptions: [] });
    }
  });
});

describe("POST /subscriptions", () => {
  it("refuses a kafka source with 400: stet has no Kafka cluster", async () => {
    const res = await create({ source: "kafka://my-cluster/orders", sink: "service://Greeter/greet", options: { "auto.offset.reset": "earliest" } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: "Kafka cluster 'my-cluster' not found. Available clusters: []", restate_code: null });
  });

  it("checks the source scheme first, then the sink, with META0009", async () => {
    const badSource = await create({ source: "http://x/topic", sink: "bogus" });
    expect(badSource.statusCode).toBe(400);
    expect(badSource.json()).toEqual({
      message: "[META0009] invalid source URI 'http://x/topic': must have a scheme segment, with supported schemes: [kafka].",
      restate_code: "META0009",
    });
    const badSink = await create({ source: "kafka://c/t", sink: "bogus" });
    expect(badSink.json()).toEqual({
      message: "[META0009] invalid sink URI 'bogus': must have a scheme segment, with supported schemes: [service].",
      restate_code: "META0009",
    });
    for (const [sink, shown] of [
      ["service://Nope/greet", "service://Nope/greet"],
      ["service://Greeter/nope", "service://Greeter/nope"],
      ["service://Greeter", "service://Greeter/"],
    ]) {
      const res = await create({ source: "kafka://c/t", sink });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        message: `[META0009] invalid sink URI '${shown}': cannot find service/handler specified in the sink URI.`,
        restate_code: "META0009",
      });
    }
  });

  it("answers 422 in the admin error shape when a field is missing or not a string", async () => {
    for (const payload of [{}, { source: "kafka://c/t" }, { source: 1, sink: "service://Greeter/greet" }, { source: "kafka:///t", sink: "service://Greeter/greet" }]) {
      const res = await create(payload);
      expect(res.statusCode).toBe(422);
      expect(res.json()).toEqual({ message: expect.any(String), restate_code: null });
    }
  });
});

describe("GET and DELETE /subscriptions/{id}", () => {
  it("answer 404 for a well-formed id, each with Restate's message", async () => {
    const get = await app.inject({ method: "GET", url: `/subscriptions/${SUB}` });
    expect(get.statusCode).toBe(404);
    expect(get.json()).toEqual({ message: `The requested subscription '${SUB}' does not exist`, restate_code: null });
    const del = await app.inject({ method: "DELETE", url: `/v4/subscriptions/${SUB}` });
    expect(del.statusCode).toBe(404);
    expect(del.json()).toEqual({ message: `not found in the schema registry: subscription with id '${SUB}'`, restate_code: null });
  });

  it("answer 400 for a malformed id, naming bad length or bad format", async () => {
    const short = await app.inject({ method: "GET", url: "/subscriptions/sub_123" });
    expect(short.statusCode).toBe(400);
    expect(short.json().message).toContain("bad length");
    const bogus = await app.inject({ method: "DELETE", url: "/subscriptions/bogus" });
    expect(bogus.statusCode).toBe(400);
    expect(bogus.json().message).toContain("bad format");
  });

  it("other methods answer 405 with the allowed ones", async () => {
    const put = await app.inject({ method: "PUT", url: "/subscriptions" });
    expect(put.statusCode).toBe(405);
    expect(put.headers["allow"]).toBe("GET, HEAD, POST");
    const patch = await app.inject({ method: "PATCH", url: `/subscriptions/${SUB}` });
    expect(patch.statusCode).toBe(405);
  });
});
