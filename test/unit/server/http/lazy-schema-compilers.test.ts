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

  it("serializes by a route's response schema, compiled on the route's first reply", async () => {
    const app = Fastify({ schemaController: lazySchemaController() });
    apps.push(app);
    const schema = { response: { 200: { type: "object", properties: { id: { type: "integer" }, name: { type: "string" } } } } };
    app.get("/things/:id", { schema }, async (request) => ({ id: Number((request.params as { id: string }).id), name: "a", secret: "s" }));
    await app.ready();
    for (const id of [1, 2]) {
      const response = await app.inject({ method: "GET", url: `/things/${id}` });
      expect(response.statusCode).toBe(200);
      // fast-json-stringify writes only the schema's properties.
      expect(response.json()).toEqual({ id, name: "a" });
    }
  });

  it("leaves ajv and the serializer compiler unloaded until a schema is used", async () => {
    const { spawnSync } = await import("node:child_process");
    const script = [
      `const { lazySchemaController } = await import(${JSON.stringify(new URL("../../../../dist/server/http/lazy-schema-compilers.js", import.meta.url).href)});`,
      `const Fastify = (await import("fastify")).default;`,
      `const app = Fastify({ schemaController: lazySchemaController() });`,
      `app.post("/x", { schema: { body: { type: "object" } } }, async () => "ok");`,
      `await app.ready();`,
      `const Module = (await import("node:module")).default;`,
      `const loaded = () => Object.keys(Module._cache).filter((f) => /node_modules[/](ajv|@fastify[/]ajv-compiler|@fastify[/]fast-json-stringify-compiler)[/]/.test(f)).length;`,
      `const before = loaded();`,
      `await app.inject({ method: "POST", url: "/x", payload: {} });`,
      `console.log(JSON.stringify({ before, after: loaded() }));`,
    ].join("\n");
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: new URL("../../../..", import.meta.url), encoding: "utf8" });
    expect(run.stderr).toBe("");
    const { before, after } = JSON.parse(run.stdout) as { before: number; after: number };
    expect(before).toBe(0);
    expect(after).toBeGreaterThan(0);
  });
});
