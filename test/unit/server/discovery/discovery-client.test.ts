import * as net from "node:net";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { discover, discoverUrl, parseDeploymentUri } from "../../../../server/discovery/index.js";
import {
  V4,
  counter,
  greeter,
  manifestBody,
  startFakeEndpoint,
  startSdkEndpoint,
  unusedPort,
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

  it("names the status when the endpoint answers an error", async () => {
    const endpoint = await fake(() => ({ status: 404, contentType: "text/plain", body: "nothing here" }));
    const error = await failure(discover(endpoint.url));
    expect(error).toMatchObject({ code: "STET_DISCOVERY_BAD_STATUS", restateCode: "META0003" });
    expect(error.message).toContain("got status code 404");
    expect(error.message).toContain("nothing here");
  });

  it("names the content type when the answer is not a manifest", async () => {
    const endpoint = await fake(() => ({ contentType: "text/html", body: "<html>hello</html>" }));
    const error = await failure(discover(endpoint.url));
    expect(error).toMatchObject({ code: "STET_DISCOVERY_NOT_A_MANIFEST", status: 500, restateCode: "META0013" });
    expect(error.message).toContain('content-type "text/html"');
  });

  it("rejects a manifest of a version it did not ask for", async () => {
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
