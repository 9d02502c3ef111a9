import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as restate from "@restatedev/restate-sdk";

export interface TestEndpoint {
  readonly url: string;
  /** Content types of every invocation request received, in order (they name the protocol version). */
  readonly invokeContentTypes: string[];
  close(): Promise<void>;
}

type Services = Parameters<typeof restate.createEndpointHandler>[0]["services"];

/**
 * Serves official-SDK services on a random loopback port: HTTP/2 cleartext (what `restate.serve()`
 * speaks, bidirectional) or HTTP/1.1 (request/response mode).
 */
export async function startEndpoint(services: Services, options: { http?: 1 | 2; port?: number } = {}): Promise<TestEndpoint> {
  const sdkHandler = restate.createEndpointHandler({ services });
  const invokeContentTypes: string[] = [];
  const handler = ((req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url?.includes("/invoke/") === true) invokeContentTypes.push(String(req.headers["content-type"]));
    return sdkHandler(req, res);
  }) as typeof sdkHandler;
  const server = options.http === 1 ? http.createServer(handler) : http2.createServer(handler);
  const sessions = new Set<http2.Http2Session>();
  const sockets = new Set<import("node:net").Socket>();
  server.on("session", (s: http2.Http2Session) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  server.on("connection", (s: import("node:net").Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    invokeContentTypes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
