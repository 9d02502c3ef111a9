import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { IngressClient, IngressError } from "../../../sdk/index.js";

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

// A stand-in for the ingress that mimics Restate's routes and records what it received.
let app: FastifyInstance;
let client: IngressClient;
let seen: Seen[];

beforeAll(async () => {
  app = Fastify();
  app.addContentTypeParser("application/octet-stream", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
  app.addHook("onRequest", async (req) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers, body: undefined });
  });
  app.addHook("preHandler", async (req) => {
    seen[seen.length - 1]!.body = req.body;
  });

  app.post("/Greeter/greet", async (req, reply) => {
    reply.header("x-restate-id", "inv_greet");
    return reply.type("application/json").send(JSON.stringify(`Hello, ${req.body as string}!`));
  });
  app.post("/Counter/:key/add", async (req, reply) => {
    reply.header("x-restate-id", "inv_add");
    const { key } = req.params as { key: string };
    return { key, added: (req.body as { n: number }).n };
  });
  app.post("/Bytes/echo", async (req, reply) => {
    reply.header("content-type", "application/octet-stream");
    return req.body as Buffer;
  });
  app.post("/Void/run", async (_req, reply) => reply.code(200).send());
  app.post("/Failing/boom", async (_req, reply) => {
    reply.header("x-restate-id", "inv_boom");
    reply.header("x-restate-error-source", "invocation");
    return reply.code(409).send({ code: 409, message: "already greeted", source: "invocation" });
  });
  app.post("/Missing/handler", async (_req, reply) => reply.code(404).type("text/plain").send("service not found"));
  app.post("/Greeter/greet/send", async (req, reply) => {
    const query = req.query as { delay?: string };
    const previously = req.headers["idempotency-key"] === "again";
    return reply.code(202).send({
      invocationId: "inv_sent",
      status: previously ? "PreviouslyAccepted" : "Accepted",
      ...(query.delay === undefined ? {} : { executionTime: "2030-01-01T00:00:00.000Z" }),
    });
  });
  app.post("/Broken/send/send", async (_req, reply) => reply.code(202).send({ id: "wrong shape" }));
  app.get("/restate/invocation/:id/attach", async (req) => ({ attached: (req.params as { id: string }).id }));
  app.get("/restate/invocation/:id/output", async (_req, reply) =>
    reply.code(470).send({ message: "the invocation exists but has not completed yet", source: "ingress" }),
  );
  app.post("/*", async (req, reply) => reply.code(200).send({ path: req.url }));
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  client = new IngressClient({ url: `${address}/`, headers: { authorization: "Bearer t" } });
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  seen = [];
});

describe("IngressClient.call", () => {
  it("posts JSON to /{service}/{handler} and returns the output with the invocation id", async () => {
    const result = await client.call<string>({ service: "Greeter", handler: "greet" }, "Ada");
    expect(result).toEqual({ output: "Hello, Ada!", invocationId: "inv_greet", status: 200 });
    expect(seen[0]).toMatchObject({ method: "POST", url: "/Greeter/greet", body: "Ada" });
    expect(seen[0]!.headers["content-type"]).toBe("application/json");
    expect(seen[0]!.headers["authorization"]).toBe("Bearer t");
    expect(seen[0]!.headers["idempotency-key"]).toBeUndefined();
  });

  it("puts the key in the path and sends the idempotency key and extra headers", async () => {
    const result = await client.call(
      { service: "Counter", key: "k1", handler: "add" },
      { n: 2 },
      { idempotencyKey: "once", headers: { "x-trace": "abc" } },
    );
    expect(result.output).toEqual({ key: "k1", added: 2 });
    expect(seen[0]!.url).toBe("/Counter/k1/add");
    expect(seen[0]!.headers["idempotency-key"]).toBe("once");
    expect(seen[0]!.headers["x-trace"]).toBe("abc");
  });

  it("URL-encodes every path segment", async () => {
    const result = await client.call<{ path: string }>({ service: "My Svc", key: "a/b?c#d", handler: "h%" });
    expect(result.output.path).toBe("/My%20Svc/a%2Fb%3Fc%23d/h%25");
  });

  it("sends no body and no content type when there is no input, and decodes an empty output as undefined", async () => {
    const result = await client.call({ service: "Void", handler: "run" });
    expect(result.output).toBeUndefined();
    expect(seen[0]!.headers["content-type"]).toBeUndefined();
  });

  it("round-trips bytes with raw", async () => {
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const result = await client.call({ service: "Bytes", handler: "echo" }, bytes, { raw: true });
    expect(result.output).toBeInstanceOf(Uint8Array);
    expect([...result.output]).toEqual([0, 1, 2, 255]);
    expect(seen[0]!.headers["content-type"]).toBe("application/octet-stream");
  });

  it("throws an IngressError with the status, message, code, source and invocation id", async () => {
    const err = await client.call({ service: "Failing", handler: "boom" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngressError);
    expect(err).toMatchObject({
      status: 409,
      message: "already greeted",
      code: 409,
      source: "invocation",
      invocationId: "inv_boom",
    });
  });

  it("keeps a non-JSON error body as the message", async () => {
    const err = await client.call({ service: "Missing", handler: "handler" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 404, message: "service not found", code: undefined });
  });
});

describe("IngressClient.send", () => {
  it("posts to /send and parses the send response", async () => {
    const result = await client.send({ service: "Greeter", handler: "greet" }, "Ada");
    expect(result).toEqual({ invocationId: "inv_sent", status: "Accepted" });
    expect(seen[0]).toMatchObject({ method: "POST", url: "/Greeter/greet/send", body: "Ada" });
  });

  it("passes the delay (ms or text) and the idempotency key", async () => {
    const delayed = await client.send({ service: "Greeter", handler: "greet" }, "Ada", { delay: 1500 });
    expect(delayed.executionTime).toBe("2030-01-01T00:00:00.000Z");
    expect(seen[0]!.url).toBe("/Greeter/greet/send?delay=1500ms");
    await client.send({ service: "Greeter", handler: "greet" }, "Ada", { delay: "10s", idempotencyKey: "again" });
    expect(seen[1]!.url).toBe("/Greeter/greet/send?delay=10s");
    expect(seen[1]!.headers["idempotency-key"]).toBe("again");
  });

  it("reports PreviouslyAccepted", async () => {
    const result = await client.send({ service: "Greeter", handler: "greet" }, "Ada", { idempotencyKey: "again" });
    expect(result.status).toBe("PreviouslyAccepted");
  });

  it("rejects a send response of the wrong shape", async () => {
    await expect(client.send({ service: "Broken", handler: "send" })).rejects.toBeInstanceOf(IngressError);
  });
});

describe("IngressClient.attach and output", () => {
  it("attaches by invocation id", async () => {
    const result = await client.attach("inv_1/x");
    expect(seen[0]).toMatchObject({ method: "GET", url: "/restate/invocation/inv_1%2Fx/attach" });
    expect(result).toEqual({ output: { attached: "inv_1/x" }, invocationId: "inv_1/x", status: 200 });
  });

  it("reports an unfinished invocation as an IngressError", async () => {
    const err = await client.output("inv_2").catch((e: unknown) => e);
    expect(seen[0]).toMatchObject({ method: "GET", url: "/restate/invocation/inv_2/output" });
    expect(err).toMatchObject({ status: 470, source: "ingress", message: "the invocation exists but has not completed yet" });
  });
});

describe("IngressClient options", () => {
  it("rejects a non-HTTP url", () => {
    expect(() => new IngressClient({ url: "ftp://x" })).toThrow(TypeError);
  });

  it("keeps a path prefix of the base url", async () => {
    const calls: string[] = [];
    const fake: typeof fetch = async (input) => {
      calls.push(String(input));
      return new Response("1", { status: 200 });
    };
    const prefixed = new IngressClient({ url: "http://gateway/stet/", fetch: fake });
    expect((await prefixed.call({ service: "S", handler: "h" })).output).toBe(1);
    expect(calls).toEqual(["http://gateway/stet/S/h"]);
  });
});
