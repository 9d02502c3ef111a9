import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { MessageType, encodeFrame } from "../../protocol/index.js";

/** How a fake deployment misbehaves when invoked. */
export type Fault =
  /** 200 with the right content type, then bytes that are no frames at all. */
  | "garbage"
  /** A well-formed frame of a type the service must never send (a notification). */
  | "outOfOrder"
  /** The stream is reset after the headers. */
  | "cut"
  /** HTTP 500 with a text body. */
  | "http500"
  /** End without an OutputCommand. */
  | "endWithoutOutput";

const FAULTS: Fault[] = ["garbage", "outOfOrder", "cut", "http500", "endWithoutOutput"];

/**
 * A deployment that speaks discovery correctly and then breaks the invocation protocol in one chosen
 * way per handler, to prove each fault fails the attempt and never the process. Retries are capped at
 * `maxAttempts` (manifest v4) and then the invocation is paused.
 */
export async function startFaultyEndpoint(maxAttempts: number): Promise<{ url: string; invocations: Map<Fault, number>; close(): Promise<void> }> {
  const invocations = new Map<Fault, number>();
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  server.on("stream", (stream, headers) => {
    const path = String(headers[":path"]);
    if (path === "/discover") {
      stream.respond({ ":status": 200, "content-type": "application/vnd.restate.endpointmanifest.v4+json" });
      stream.end(
        JSON.stringify({
          protocolMode: "BIDI_STREAM",
          minProtocolVersion: 5,
          maxProtocolVersion: 6,
          services: [
            {
              name: "Faulty",
              ty: "SERVICE",
              handlers: FAULTS.map((name) => ({ name })),
              retryPolicyMaxAttempts: maxAttempts,
              retryPolicyInitialInterval: 10,
              retryPolicyOnMaxAttempts: "PAUSE",
            },
          ],
        }),
      );
      return;
    }
    const fault = path.split("/").pop() as Fault;
    invocations.set(fault, (invocations.get(fault) ?? 0) + 1);
    const contentType = String(headers["content-type"]);
    stream.on("error", () => {});
    switch (fault) {
      case "garbage":
        stream.respond({ ":status": 200, "content-type": contentType });
        stream.end(Buffer.from("HTTP/1.1 418 I am a teapot, not a frame stream, and this is not protocol"));
        return;
      case "outOfOrder":
        stream.respond({ ":status": 200, "content-type": contentType });
        stream.end(encodeFrame(MessageType.SleepCompletionNotification, new Uint8Array()));
        return;
      case "cut":
        stream.respond({ ":status": 200, "content-type": contentType });
        stream.write(encodeFrame(MessageType.RunCommand, new Uint8Array()));
        setTimeout(() => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR), 5);
        return;
      case "http500":
        stream.respond({ ":status": 500, "content-type": "text/plain" });
        stream.end("deployment exploded");
        return;
      case "endWithoutOutput":
        stream.respond({ ":status": 200, "content-type": contentType });
        stream.end(encodeFrame(MessageType.End, new Uint8Array()));
        return;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    invocations,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export { FAULTS };
