import * as net from "node:net";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EXCERPT_CHARS } from "../../../../server/discovery/answer-excerpt.js";
import { discover, discoverUrl, parseDeploymentUri } from "../../../../server/discovery/index.js";
import {
  V4,
  counter,
  greeter,
  manifestBody,
  startFakeEndpoint,
  startSdkEndpoint,
  unusedPort,
  type FakeAnswer,
  type TestServer,
} from "../../../integration/admin-fixtures.js";

const servers: { close(): Promise<void> }[] = [];
const track = <T extends { close(): Promise<void> }>(server: T): T => {
  servers.push(server);
  return server;
};

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

async function fake(answer: Parameters<typeof startFakeEndpoint>[0]): Promise<TestServer> {
  return track(await startFakeEndpoint(answer));
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string; restateCode: string | null }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; status: number; message: string; restateCode: string | null };
  }
  throw new Error("expected discovery to fail");
}

describe("discover", () => {
  it("reads the manifest of an official SDK endpoint over HTTP/2 with prior knowledge", async () => {
    const endpoint = track(await startSdkEndpoint([greeter, counter]));
    const before = timers();
    // `connection` is forbidden in HTTP/2: dropped rather than failing the request.
    const result = await discover(endpoint.url, { additionalHeaders: { "X-Api-Key": "secret", Connection: "keep-alive" } });

    expect(result).toMatchObject({
      uri: `${endpoint.url}/`,
      httpVersion: 2,
      protocolMode: "BIDI_STREAM",
      manifestVersion: 4,
      minProtocolVersion: 5,
      maxProtocolVersion: expect.any(Number),
    });
    expect(result.sdkVersion).toMatch(/^restate-sdk-typescript\//);
    expect(result.manifest.services.map((s) => [s.name, s.ty])).toEqual([
      ["Greeter", "SERVICE"],
      ["Counter", "VIRTUAL_OBJECT"],
    ]);
    expect(endpoint.requests).toHaveLength(1);
    expect(endpoint.requests[0]).toMatchObject({ method: "GET", path: "/discover" });
    expect(endpoint.requests[0]!.headers.accept).toBe(
      "application/vnd.restate.endpointmanifest.v4+json, application/vnd.restate.endpointmanifest.v3+json, application/vnd.restate.endpointmanifest.v2+json",
    );
    expect(endpoint.requests[0]!.headers["x-api-key"]).toBe("secret");
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it("falls back to HTTP/1.1 when the endpoint does not speak HTTP/2", async () => {
    const endpoint = track(await startSdkEndpoint([greeter], { http1: true }));
    const result = await discover(endpoint.url);
    expect(result).toMatchObject({ httpVersion: 1, protocolMode: "REQUEST_RESPONSE" });
    expect(endpoint.requests).toHaveLength(1);
  });

  it("fails like Restate (META0014) when the fallback is disabled", async () => {
    const endpoint = track(await startSdkEndpoint([greeter], { http1: true }));
    const error = await failure(discover(endpoint.url, { fallbackToHttp11: false }));
    expect(error).toMatchObject({ code: "STET_DISCOVERY_HTTP2_UNSUPPORTED", status: 500, restateCode: "META0014" });
    expect(error.message).toContain("use_http_11");
  });

  it("goes straight to HTTP/1.1 with useHttp11 and keeps the mount path", async () => {
    const endpoint = await fake(() => ({ contentType: V4, body: manifestBody([{ name: "A", ty: "SERVICE", handlers: [] }]) }));
    const result = await discover(`${endpoint.url}/restate/v1/`, { useHttp11: true });
    expect(result.httpVersion).toBe(1);
    expect(result.uri).toBe(`${endpoint.url}/restate/v1/`);
    expect(endpoint.requests.map((r) => r.path)).toEqual(["/restate/v1/discover"]);
  });

  it("reports a refused connection as unreachable", async () => {
    const port = await unusedPort();
    const error = await failure(discover(`http://127.0.0.1:${port}`));
    expect(error).toMatchObject({ code: "STET_DISCOVERY_UNREACHABLE", status: 500, restateCode: "META0003" });
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.message).toContain(`http://127.0.0.1:${port}/discover`);
  });

  it.each([false, true])("gives up after timeoutMs when the peer never answers (useHttp11=%s)", async (useHttp11) => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    track({
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    });
    const before = timers();
    const error = await failure(discover(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`, { timeoutMs: 150, useHttp11 }));
    expect(error.code).toBe("STET_DISCOVERY_UNREACHABLE");
    expect(error.message).toContain("no complete answer within 150 ms");
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it("gives up once the whole budget is spent: the HTTP/1.1 fallback gets only what HTTP/2 left", async () => {
    // The clock jumps past the budget while the peer refuses HTTP/2: no time is left for HTTP/1.1, so
    // discovery must fail without connecting again (a budget per attempt would connect and wait anew).
    let clock = 1_000_000;
    const timeoutMs = 60_000;
    const sockets = new Set<net.Socket>();
    const peer = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.once("data", () => {
        clock += timeoutMs;
        socket.destroy(); // not HTTP/2: discovery would fall back to HTTP/1.1
      });
    });
    peer.listen(0, "127.0.0.1");
    await once(peer, "listening");
    let connections = 0;
    peer.on("connection", () => connections++);
    track({
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          peer.close(() => resolve());
        }),
    });
    const error = await failure(discover(`http://127.0.0.1:${(peer.address() as AddressInfo).port}`, { timeoutMs, now: () => clock }));
    expect(error).toMatchObject({ code: "STET_DISCOVERY_UNREACHABLE", restateCode: "META0003" });
    expect(error.message).toContain(`no complete answer within ${timeoutMs} ms`);
    expect(connections).toBe(1);
  });

  // Restate 1.7.12 answers these with use_http_11 (checked against the real server, see
  // test/differential/registration-errors.test.ts): 404 → META0003, 200 but not a manifest → META0013.
  it.each<[string, FakeAnswer, string, string]>([
    ["an error status", { status: 404, contentType: "text/plain", body: "nothing here" }, "STET_DISCOVERY_BAD_STATUS", "META0003"],
    ["another content type", { contentType: "text/html", body: "<html>hello</html>" }, "STET_DISCOVERY_NOT_A_MANIFEST", "META0013"],
    ["JSON that is not a manifest", { contentType: "application/json", body: '{"hello":"world"}' }, "STET_DISCOVERY_NOT_A_MANIFEST", "META0013"],
  ])("over HTTP/1.1, names the status and content type of %s", async (_name, answer, code, restateCode) => {
    const endpoint = await fake(() => answer);
    const error = await failure(discover(endpoint.url, { useHttp11: true }));
    expect(error).toMatchObject({ code, status: 500, restateCode });
    const contentType = JSON.stringify(answer.contentType);
    expect(error.message).toContain(`got status code ${answer.status ?? 200}, content-type ${contentType}, ${answer.body.length} bytes: ${JSON.stringify(answer.body)}`);
  });

  it.each<[string, FakeAnswer]>([
    ["an HTML page", { contentType: "text/html; charset=utf-8", body: "<html>hello</html>" }],
    ["a 404", { status: 404, contentType: "text/html", body: "<html>not found</html>" }],
    ["JSON that is not a manifest", { contentType: "application/json", body: '{"hello":"world"}' }],
  ])("after falling back to HTTP/1.1, reports %s like Restate reports an HTTP/1.1-only peer (META0014)", async (_name, answer) => {
    const endpoint = await fake(() => answer);
    const error = await failure(discover(endpoint.url));
    expect(error).toMatchObject({ code: "STET_DISCOVERY_HTTP1_NOT_AN_ENDPOINT", status: 500, restateCode: "META0014" });
    expect(error.message).toContain(`not a Restate endpoint: no HTTP/2, and over HTTP/1.1 it answered status code ${answer.status ?? 200}, content-type ${JSON.stringify(answer.contentType)}`);
    expect(error.message).toContain(JSON.stringify(answer.body));
  });

  it("shows a web page as a short excerpt on one line, never the whole page", async () => {
    const page = `<!DOCTYPE html>\n<html>\n<head><title>Welcome</title></head>\n<body>\n${"<p>lorem ipsum dolor sit amet</p>\n".repeat(200)}</body></html>\n`;
    for (const useHttp11 of [false, true]) {
      const endpoint = await fake(() => ({ status: 404, contentType: "text/html", body: page }));
      const error = await failure(discover(endpoint.url, { useHttp11 }));
      expect(error.message).toContain(`status code 404, content-type "text/html", ${page.length} bytes: "<!DOCTYPE html> <html> <head><title>Welcome</title></head> <body> <p>lorem ipsum`);
      const excerpt = /bytes: (".*?…")/.exec(error.message)?.[1];
      expect(excerpt).toBeDefined();
      expect((JSON.parse(excerpt!) as string).length).toBeLessThanOrEqual(EXCERPT_CHARS + 1);
      expect(error.message).not.toMatch(/[\n\r]/);
      expect(error.message).not.toContain("</html>");
      expect(error.message.length).toBeLessThan(500);
    }
  });

  it("rejects a manifest of a version it did not ask for, also after the fallback", async () => {
    const endpoint = await fake(() => ({ contentType: "application/vnd.restate.endpointmanifest.v1+json", body: manifestBody([]) }));
    expect((await failure(discover(endpoint.url))).code).toBe("STET_DISCOVERY_NOT_A_MANIFEST");
  });

  it("accepts an older manifest version with parameters in the content type", async () => {
    const endpoint = await fake(() => ({ contentType: "application/vnd.restate.endpointmanifest.v2+json; charset=utf-8", body: manifestBody([]) }));
    expect((await discover(endpoint.url)).manifestVersion).toBe(2);
  });

  it("says when the manifest is not JSON", async () => {
    const endpoint = await fake(() => ({ contentType: V4, body: "{not json" }));
    const error = await failure(discover(endpoint.url));
    expect(error.code).toBe("STET_DISCOVERY_BAD_MANIFEST");
    expect(error.message).toContain("is not valid JSON");
  });

  it("names the invalid field of a malformed manifest", async () => {
    const endpoint = await fake(() => ({ contentType: V4, body: manifestBody([{ name: "A", ty: "ACTOR", handlers: [] }]) }));
    const error = await failure(discover(endpoint.url));
    expect(error).toMatchObject({ code: "STET_DISCOVERY_BAD_MANIFEST", status: 500 });
    expect(error.message).toContain('services[0].ty must be one of SERVICE, VIRTUAL_OBJECT, WORKFLOW, got "ACTOR"');
  });

  it("keeps the 400 of a self-contradicting manifest", async () => {
    const endpoint = await fake(() => ({ contentType: V4, body: manifestBody([{ name: "A", ty: "SERVICE", handlers: [{ name: "x", ty: "EXCLUSIVE" }] }]) }));
    expect(await failure(discover(endpoint.url))).toMatchObject({ code: "STET_MANIFEST_INCONSISTENT", status: 400 });
  });

  it("requires a protocol mode", async () => {
    const endpoint = await fake(() => ({ contentType: V4, body: manifestBody([], { protocolMode: undefined }) }));
    const error = await failure(discover(endpoint.url));
    expect(error.code).toBe("STET_DISCOVERY_BAD_MANIFEST");
    expect(error.message).toContain("protocolMode is missing");
  });

  it("rejects a protocol range that does not overlap stet's", async () => {
    const endpoint = await fake(() => ({ contentType: V4, body: manifestBody([], { minProtocolVersion: 1, maxProtocolVersion: 2 }) }));
    const error = await failure(discover(endpoint.url));
    expect(error).toMatchObject({ code: "STET_DISCOVERY_UNSUPPORTED_PROTOCOL", restateCode: "META0012" });
    expect(error.message).toContain("versions 1 to 2");
  });

  it("rejects an oversized answer", async () => {
    const endpoint = await fake(() => ({ contentType: V4, body: "x".repeat(4096) }));
    const error = await failure(discover(endpoint.url, { maxBodyBytes: 1024 }));
    expect(error.code).toBe("STET_DISCOVERY_BAD_MANIFEST");
    expect(error.message).toContain("larger than 1024 bytes");
  });

  it.each([
    ["HTTP/2", false],
    ["HTTP/1.1", true],
  ])("closes its %s connection once done (the test hangs if a socket is kept alive)", async (_name, http1) => {
    const endpoint = track(await startSdkEndpoint([greeter], { http1 }));
    await discover(endpoint.url, { useHttp11: http1 });
    await endpoint.idle();
  });

  it("closes the connection after a failed answer too", async () => {
    const endpoint = await fake(() => ({ contentType: "text/html", body: "<html/>" }));
    await failure(discover(endpoint.url));
    await endpoint.idle();
  });
});

describe("deployment uris", () => {
  it("accepts absolute http(s) uris and appends /discover under the mount path", () => {
    expect(discoverUrl(parseDeploymentUri("http://h:9080")).href).toBe("http://h:9080/discover");
    expect(discoverUrl(parseDeploymentUri("https://h/a/b/")).href).toBe("https://h/a/b/discover");
  });

  it.each([
    ["127.0.0.1:9080", "is not an absolute URI"],
    ["not a uri", "is not an absolute URI"],
    ["ftp://h/x", "must use http or https, not ftp"],
  ])("rejects %s", (uri, message) => {
    expect(() => parseDeploymentUri(uri)).toThrowError(expect.objectContaining({ code: "STET_DISCOVERY_INVALID_URI", status: 400 }));
    expect(() => parseDeploymentUri(uri)).toThrowError(message);
  });
});
