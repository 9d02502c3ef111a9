import * as restate from "@restatedev/restate-sdk";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatAwakeableId, newDeploymentId, newInvocationId, randomPartitionKey } from "../../protocol/index.js";
import { INGRESS_BODY_LIMIT_BYTES } from "../../server/ingress/ingress-plugin.js";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";

/**
 * Bad input on the ingress and admin APIs: every malformed request gets a 4xx in Restate's error shape, and
 * the server keeps serving afterwards. One stet serves the whole file (each test only reads or adds
 * invocations nobody else looks at).
 */

const greeter = restate.service({
  name: "Greeter",
  handlers: { greet: async (_ctx: restate.Context, name: string) => `Hello, ${name}!` },
});

let endpoint: TestEndpoint;
let stet: TestStet;
let ingress: string;
let admin: string;

beforeAll(async () => {
  endpoint = await startEndpoint([greeter]);
  stet = await startTestStet();
  await stet.register(endpoint.url);
  ingress = stet.node.ingressUrl;
  admin = stet.node.adminUrl;
});

afterAll(async () => {
  await stet?.close();
  await endpoint?.close();
});

const JSON_TYPE = { "content-type": "application/json" };

/** Asserts Restate's ingress error: `{code, message, source}` and the `x-restate-error-source` header. */
async function expectIngressError(
  res: Response,
  status: number,
  message?: RegExp,
  source: "ingress" | "invocation" | "any" = "ingress",
): Promise<string> {
  const body = (await res.json()) as { code: number; message: string; source: string };
  const expectedSource = source === "any" ? expect.stringMatching(/^(ingress|invocation)$/) : source;
  expect({ status: res.status, header: res.headers.get("x-restate-error-source") }).toEqual({ status, header: expectedSource });
  expect(body).toEqual({ code: status, message: expect.any(String), source: expectedSource });
  expect(res.headers.get("x-restate-error-source")).toBe(body.source);
  if (message !== undefined) expect(body.message).toMatch(message);
  return body.message;
}

/** Asserts Restate's admin error: `{message, restate_code}`. */
async function expectAdminError(res: Response, status: number, message?: RegExp): Promise<void> {
  const body = (await res.json()) as { message: string; restate_code: string | null };
  expect(res.status).toBe(status);
  expect(body).toEqual({ message: expect.any(String), restate_code: null });
  if (message !== undefined) expect(body.message).toMatch(message);
}

/** A normal call, to show the server is still healthy. */
async function expectHealthy(): Promise<void> {
  const res = await stet.call("/Greeter/greet", "Ada");
  expect(res.status).toBe(200);
  expect(await res.json()).toBe("Hello, Ada!");
  expect((await fetch(`${admin}/health`)).status).toBe(200);
}

/** Writes raw bytes to a port and collects everything until the server closes the connection. */
function rawExchange(url: string, request: string | Buffer, timeoutMs = 5_000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(chunks).toString("latin1"))}`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {}); // a reset after the answer is fine; "close" follows
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
  });
}

function parseRawResponse(text: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = "", body = ""] = text.split("\r\n\r\n", 2);
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(":");
    headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1]), headers, body };
}

describe("ingress", () => {
  it("malformed JSON to an official-SDK JSON handler is the handler's terminal 400, not a retry loop", async () => {
    const started = Date.now();
    const res = await fetch(`${ingress}/Greeter/greet`, { method: "POST", headers: JSON_TYPE, body: "{nope" });
    const id = res.headers.get("x-restate-id");
    await expectIngressError(res, 400, /^Failed to deserialize input/, "invocation");
    expect(id).toMatch(/^inv_1/);
    expect(Date.now() - started).toBeLessThan(5_000);
    // One attempt, ended by the SDK's terminal error: nothing failed, nothing retried.
    expect(stet.events.filter((e) => "invocationId" in e && e.invocationId === id && e.type === "attempt-started")).toHaveLength(1);
    expect(stet.events.filter((e) => "invocationId" in e && e.invocationId === id && e.type === "attempt-failed")).toEqual([]);

    // Sent rather than called: accepted, and the failure is what attach returns.
    const sent = await fetch(`${ingress}/Greeter/greet/send`, { method: "POST", headers: JSON_TYPE, body: "[1," });
    expect(sent.status).toBe(202);
    const { invocationId } = (await sent.json()) as { invocationId: string };
    await expectIngressError(await fetch(`${ingress}/restate/invocation/${invocationId}/attach`), 400, /^Failed to deserialize input/, "invocation");
  });

  it("answers 400 before invoking when the content type is not the handler's input type, as Restate does", async () => {
    const contentTypes: Array<Record<string, string>> = [{}, { "content-type": "text/plain" }, { "content-type": "application/x-nonsense; x=1" }];
    for (const headers of contentTypes) {
      const res = await fetch(`${ingress}/Greeter/greet`, { method: "POST", headers, body: Uint8Array.of(0xff, 0x00, 0x01) });
      expect(res.headers.get("x-restate-id")).toBeNull();
      await expectIngressError(res, 400, /^input validation error: .*content-type/i);
    }
  });

  it("answers 415 for a body whose content-type is not type/subtype", async () => {
    for (const contentType of ["", "garbage", "a b"]) {
      const res = await fetch(`${ingress}/Greeter/greet`, { method: "POST", headers: { "content-type": contentType }, body: '"x"' });
      await expectIngressError(res, 415, /^unsupported content-type/);
    }
  });

  it("refuses a body over the limit with 413, with or without a content-length", async () => {
    // Exactly at the limit is read (then the unknown service answers 404); one byte more is refused.
    const atLimit = await fetch(`${ingress}/Nope/h`, { method: "POST", headers: JSON_TYPE, body: new Uint8Array(INGRESS_BODY_LIMIT_BYTES) });
    await expectIngressError(atLimit, 404, /service 'Nope' not found/);
    const over = await fetch(`${ingress}/Greeter/greet`, { method: "POST", headers: JSON_TYPE, body: new Uint8Array(INGRESS_BODY_LIMIT_BYTES + 1) });
    await expectIngressError(over, 413, new RegExp(`larger than the limit of ${INGRESS_BODY_LIMIT_BYTES} bytes`));

    // Chunked: no length announced, the limit is counted as the body arrives.
    const chunk = new Uint8Array(1024 * 1024);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 11; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const chunked = await fetch(`${ingress}/Greeter/greet`, { method: "POST", headers: JSON_TYPE, body: stream, duplex: "half" } as RequestInit);
    await expectIngressError(chunked, 413);
    await expectHealthy();
  });

  it("answers 431 in Restate's shape for oversized headers and stays up", async () => {
    const res = await fetch(`${ingress}/Greeter/greet`, { method: "POST", headers: { ...JSON_TYPE, "x-big": "a".repeat(64 * 1024) }, body: '"a"' });
    await expectIngressError(res, 431, /request headers are larger than the limit/);
    const many: Record<string, string> = { ...JSON_TYPE };
    for (let i = 0; i < 3000; i++) many[`x-header-number-${i}`] = "value";
    await expectIngressError(await fetch(`${ingress}/Greeter/greet`, { method: "POST", headers: many, body: '"a"' }), 431);
    await expectHealthy();
  });

  it("answers 400 for malformed invocation ids and 404 for unknown well-formed ones", async () => {
    for (const id of ["bogus", "inv_bogus", "inv_1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "inv_1" + "!".repeat(33), "%00", "inv_1" + "z".repeat(200)]) {
      for (const action of ["attach", "output"]) {
        await expectIngressError(await fetch(`${ingress}/restate/invocation/${encodeURIComponent(id)}/${action}`), 400, /^bad invocation id/);
      }
    }
    // Restate answers attach from the invocation's side (`not found`, source invocation), output from ingress.
    const unknown = newInvocationId(randomPartitionKey());
    await expectIngressError(await fetch(`${ingress}/restate/invocation/${unknown}/attach`), 404, undefined, "any");
    await expectIngressError(await fetch(`${ingress}/restate/invocation/${unknown}/output`), 404);
  });

  it("answers 400 for malformed awakeable ids and 202 for unknown well-formed ones (ignored, as Restate does)", async () => {
    for (const id of ["not-an-id", "sign_1bogus", "sign_1" + "*".repeat(38), "prom_1", "sign_1" + "A".repeat(39)]) {
      for (const prefix of ["awakeables", "a"]) {
        const res = await fetch(`${ingress}/restate/${prefix}/${encodeURIComponent(id)}/resolve`, { method: "POST", headers: JSON_TYPE, body: "1" });
        await expectIngressError(res, 400, /^bad awakeable id/);
      }
    }
    const unknown = formatAwakeableId(newInvocationId(randomPartitionKey()), 7);
    const resolved = await fetch(`${ingress}/restate/awakeables/${unknown}/resolve`, { method: "POST", headers: JSON_TYPE, body: "1" });
    expect(resolved.status).toBe(202);
    const rejected = await fetch(`${ingress}/restate/awakeables/${unknown}/reject`, { method: "POST", body: "no" });
    expect(rejected.status).toBe(202);
    await expectIngressError(await fetch(`${ingress}/restate/awakeables/${unknown}/resolve`), 405);
  });

  it("answers 400 for paths that do not fit, 404 for unknown targets, 405 for wrong methods", async () => {
    const cases: Array<[string, string, number]> = [
      ["POST", "/Greeter", 400],
      ["POST", "/Greeter/greet/extra/more", 400],
      ["POST", "/Greeter//greet", 400],
      ["POST", "/Greeter/%zz", 400], // not percent-encoding: refused by the router, in Restate's shape
      ["POST", "/%E0%A4%A/greet", 400],
      ["GET", "/restate/invocation", 400],
      ["GET", "/restate/nope", 404],
      ["POST", "/Nope/greet", 404],
      ["POST", `/${"S".repeat(5000)}/greet`, 404],
      ["POST", "/%00/greet", 404],
      ["POST", "/Greeter/nope", 404],
      ["GET", "/restate/workflow/Nope/key/attach", 404],
      ["GET", "/restate/invocation/Nope/greet/key/output", 404],
      ["PUT", "/Greeter/greet", 405],
      ["DELETE", "/Greeter/greet", 405],
      ["PATCH", "/Greeter/greet/send", 405],
    ];
    for (const [method, path, status] of cases) {
      const res = await fetch(`${ingress}${path}`, { method, headers: JSON_TYPE, ...(method === "GET" ? {} : { body: '"x"' }) });
      await expectIngressError(res, status);
    }
  });

  it("answers 400 for a bad delay, one on a call, and one past the last representable date", async () => {
    const send = (query: string) => fetch(`${ingress}/Greeter/greet/send${query}`, { method: "POST", headers: JSON_TYPE, body: '"x"' });
    await expectIngressError(await send("?delay=bogus"), 400, /^bad delay/);
    await expectIngressError(await send("?delay="), 400, /^bad delay/);
    await expectIngressError(await send("?delay=-5s"), 400, /^bad delay/);
    await expectIngressError(await send("?delay=1s&delay=2s"), 400, /^bad delay/);
    // Past the year 275760 (JavaScript's last date), and past what a 64-bit integer column holds.
    await expectIngressError(await send("?delay=2000000000000h"), 400, /past the year 275760/);
    await expectIngressError(await send("?delay=99999999999999999999h"), 400, /past the year 275760/);
    await expectIngressError(await fetch(`${ingress}/Greeter/greet?delay=1s`, { method: "POST", headers: JSON_TYPE, body: '"x"' }), 400, /delay/);
  });

  it("answers malformed HTTP in Restate's shape and closes the connection", async () => {
    const requests = [
      "\x00\x01garbage\r\n\r\n",
      "GET /restate/health HTTP/9.9\r\n\r\n",
      "POST /Greeter/greet HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "POST /Greeter/greet HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST /Greeter/greet HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET /%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ];
    for (const request of requests) {
      const response = parseRawResponse(await rawExchange(ingress, request));
      expect(response.status, request).toBe(400);
      expect(response.headers["x-restate-error-source"]).toBe("ingress");
      expect(JSON.parse(response.body)).toEqual({ code: 400, message: expect.any(String), source: "ingress" });
    }
    await expectHealthy();
  });
});

describe("admin", () => {
  const register = (body: string, headers: Record<string, string> = JSON_TYPE) =>
    fetch(`${admin}/deployments`, { method: "POST", headers, body });

  it("answers 400 for malformed JSON and payloads of the wrong shape", async () => {
    const bodies = [
      "{nope",
      "",
      '{"uri": "http://a", }',
      "[1]",
      '"http://127.0.0.1:1"',
      "null",
      '{"uri": 5}',
      '{"uri": "ftp://example.test"}',
      '{"uri": "not a uri"}',
      "{}",
      '{"arn": "arn:aws:lambda:eu-central-1:1:function:f"}',
      '{"uri": "http://127.0.0.1:1", "additional_headers": {"bad name": "v"}}',
      '{"uri": "http://127.0.0.1:1", "additional_headers": {"x": "line\\r\\nbreak"}}',
      '{"uri": "http://127.0.0.1:1", "additional_headers": {"x": {"y": 1}}}',
      '{"uri": "http://127.0.0.1:1", "force": "yes"}',
      '{"__proto__": {"uri": "http://127.0.0.1:1"}}',
    ];
    for (const body of bodies) {
      const res = await register(body);
      expect(res.status, body).toBe(400);
      await expectAdminError(res, 400);
    }
  });

  it("answers 4xx for bodies that are not JSON, and 413 for a body over the admin limit", async () => {
    // fastify's text/plain parser reads the text, then the schema refuses it (Restate: 415).
    await expectAdminError(await register("http://127.0.0.1:1", { "content-type": "text/plain" }), 400);
    await expectAdminError(await register("<uri/>", { "content-type": "application/xml" }), 415);
    await expectAdminError(await register(JSON.stringify({ uri: "x".repeat(2 * 1024 * 1024) })), 413);
  });

  it("answers 400 for malformed deployment ids and 404 for unknown well-formed ones", async () => {
    for (const id of ["bogus", "dp_bogus", "dp_1" + "!".repeat(26), "%00"]) {
      await expectAdminError(await fetch(`${admin}/deployments/${encodeURIComponent(id)}`), 400, /invalid deployment id/);
      await expectAdminError(await fetch(`${admin}/deployments/${encodeURIComponent(id)}`, { method: "DELETE" }), 400);
    }
    await expectAdminError(await fetch(`${admin}/deployments/${newDeploymentId()}`), 404);
    await expectAdminError(await fetch(`${admin}/deployments/${newDeploymentId()}?force=maybe`, { method: "DELETE" }), 400);
  });

  it("answers 404 for unknown routes, services and handlers, 405 for known paths with other methods", async () => {
    await expectAdminError(await fetch(`${admin}/nope`), 404);
    await expectAdminError(await fetch(`${admin}/services/Nope`), 404);
    await expectAdminError(await fetch(`${admin}/services/Greeter/handlers/nope`), 404);
    await expectAdminError(await fetch(`${admin}/v1/deployments`), 400, /Unsupported Admin API version V1/);
    for (const [method, path, allow] of [
      ["PUT", "/deployments", "GET, HEAD, POST"],
      ["POST", "/health", "GET, HEAD"],
      ["DELETE", "/v4/services/Greeter", "GET, HEAD, PATCH"],
      ["POST", `/deployments/${newDeploymentId()}`, "GET, HEAD, PUT, DELETE, PATCH"],
    ] as const) {
      const res = await fetch(`${admin}${path}`, { method });
      expect(res.headers.get("allow")).toBe(allow);
      await expectAdminError(res, 405, new RegExp(`^${method} is not allowed`));
    }
  });

  it("answers oversized headers with 431 and keeps serving", async () => {
    const res = await fetch(`${admin}/deployments`, { headers: { "x-big": "a".repeat(64 * 1024) } });
    expect(res.status).toBe(431);
    await expectHealthy();
  });
});
