import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { lazySchemaController } from "../../../../server/http/lazy-schema-compilers.js";

const apps: Array<ReturnType<typeof Fastify>> = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function appWith(schema: object) {
  const app = Fastify({ schemaController: lazySchemaController() });
  apps.push(app);
  app.post("/things/:id", { schema }, async (request) => ({ params: request.params, query: request.query, body: request.body }));
  return app;
}

describe("lazySchemaController", () => {
  it("validates like fastify's default: required fields, type coercion, ajv's messages", async () => {
    const app = appWith({
      body: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
      querystring: { type: "object", properties: { force: { type: "boolean" } } },
    });
    const missing = await app.inject({ method: "POST", url: "/things/1", payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toBe("body must have required property 'name'");

    const ok = await app.inject({ method: "POST", url: "/things/1?force=true", payload: { name: "a" } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ params: { id: "1" }, query: { force: true }, body: { name: "a" } });

    const badQuery = await app.inject({ method: "POST", url: "/things/1?force=maybe", payload: { name: "a" } });
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().message).toBe("querystring/force must be boolean");
  });

  it("compiles a route's schema on its first request, not when the app starts", async () => {
    // An invalid schema makes fastify's eager compiler fail `ready()`; the lazy one only fails the request.
    const eager = Fastify();
    apps.push(eager);
    eager.post("/x", { schema: { body: { type: "no-such-type" } } }, async () => "ok");
    await expect(eager.ready()).rejects.toThrow(/no-such-type|schema/i);

    const app = appWith({ body: { type: "no-such-type" } });
    await app.ready();
    const response = await app.inject({ method: "POST", url: "/things/1", payload: {} });
    expect(response.statusCode).toBe(500);
  });
});
