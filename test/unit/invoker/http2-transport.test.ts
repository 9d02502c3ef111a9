import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Http2Transport } from "../../../invoker/transport/http2-transport.js";
import type { DeploymentTarget } from "../../../invoker/transport/transport.js";

/** An h2c server whose streams are answered by `onStream`. */
async function serve(onStream: (stream: http2.ServerHttp2Stream) => void): Promise<{ uri: string; close: () => Promise<void> }> {
  const server = http2.createServer();
  server.on("stream", onStream);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { uri: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const target = (uri: string): DeploymentTarget => ({ uri, httpVersion: 2, additionalHeaders: {}, minProtocolVersion: 5, maxProtocolVersion: 5 });

describe("HTTP/2 transport", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("answers with the response headers, and a stream closing after them is no failure", async () => {
    const server = await serve((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/vnd.restate.invocation.v5" });
      stream.end(Buffer.from("done"));
    });
    cleanups.push(server.close);
    const transport = new Http2Transport();
    cleanups.push(() => transport.destroy());

    const stream = transport.open(target(server.uri), "/invoke/S/h", { "content-type": "x" });
    stream.end();
    const response = await stream.response;
    expect(response.status).toBe(200);
    const chunks: Buffer[] = [];
    for await (const chunk of stream.chunks) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("done");
  });

  it("fails the response when the stream closes before any headers", async () => {
    // Closed without an error code: the client sees only the stream's close, no error event.
    const server = await serve((stream) => stream.close(http2.constants.NGHTTP2_NO_ERROR));
    cleanups.push(server.close);
    const transport = new Http2Transport();
    cleanups.push(() => transport.destroy());

    const stream = transport.open(target(server.uri), "/invoke/S/h", { "content-type": "x" });
    stream.end();
    await expect(stream.response).rejects.toThrow("stream closed before response headers (code 0)");
  });
});
