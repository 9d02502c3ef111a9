import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as restate from "@restatedev/restate-sdk";

/** A server on a random loopback port that the test must close. */
export interface TestServer {
  readonly url: string;
  /** Requests received, in order (method, path, headers). */
  readonly requests: { method: string; path: string; headers: Record<string, string | string[] | undefined> }[];
  /** Resolves once no client connection is open (the client under test closed its sockets). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Counts open connections and lets a test wait until the peer has closed all of them. */
function connectionTracker() {
  const open = new Set<{ once(event: "close", listener: () => void): unknown }>();
  const waiters: (() => void)[] = [];
  return {
    open,
    add(connection: { once(event: "close", listener: () => void): unknown }) {
      open.add(connection);
      connection.once("close", () => {
        open.delete(connection);
        if (open.size === 0) for (const w of waiters.splice(0)) w();
      });
    },
    idle: () => (open.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}

/** Official-SDK services used across the admin tests. */
export const greeter = restate.service({
  name: "Greeter",
  description: "says hello",
  handlers: { greet: async (_ctx: restate.Context, name: string) => `hello ${name}` },
});

export const counter = restate.object({
  name: "Counter",
  handlers: {
    add: async (_ctx: restate.ObjectContext, n: number) => n,
    get: restate.handlers.object.shared(async (_ctx: restate.ObjectSharedContext) => 0),
  },
});

export const signup = restate.workflow({
  name: "Signup",
  handlers: {
    run: async (_ctx: restate.WorkflowContext) => "done",
    status: async (_ctx: restate.WorkflowSharedContext) => "pending",
  },
});

const address = (server: http.Server | http2.Http2Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/**
 * An official Restate SDK endpoint over HTTP/2 cleartext (what `restate.serve()` runs), or over
 * HTTP/1.1 with `http1: true`. Open sessions are destroyed on close so no socket outlives a test.
 */
export async function startSdkEndpoint(
  services: Parameters<typeof restate.createEndpointHandler>[0]["services"],
  options: { http1?: boolean } = {},
): Promise<TestServer> {
  // A silent logger: the SDK warns on every endpoint about unsigned requests, which is noise here.
  const handler = restate.createEndpointHandler({ services, logger: () => undefined });
  const requests: TestServer["requests"] = [];
  const record = (req: http.IncomingMessage | http2.Http2ServerRequest): void => {
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: { ...req.headers } });
  };
  if (options.http1 === true) {
    const server = http.createServer((req, res) => {
      record(req);
      handler(req, res);
    });
    const connections = connectionTracker();
    server.on("connection", (socket) => connections.add(socket));
    await listen(server);
    return { url: address(server), requests, idle: connections.idle, close: () => closeHttp1(server) };
  }
  const server = http2.createServer((req, res) => {
    record(req);
    handler(req, res);
  });
  const sessions = connectionTracker();
  server.on("session", (session) => sessions.add(session));
  await listen(server);
  return {
    url: address(server),
    requests,
    idle: sessions.idle,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions.open) (session as http2.ServerHttp2Session).destroy();
        server.close(() => resolve());
      }),
  };
}

export interface FakeAnswer {
  readonly status?: number;
  readonly contentType?: string;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

/** An HTTP/1.1 server answering every request with `answer(path)` (a fake deployment). */
export async function startFakeEndpoint(answer: (path: string) => FakeAnswer): Promise<TestServer> {
  const requests: TestServer["requests"] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: { ...req.headers } });
    const a = answer(req.url ?? "/");
    res.writeHead(a.status ?? 200, { ...(a.contentType === undefined ? {} : { "content-type": a.contentType }), ...a.headers });
    res.end(a.body);
  });
  const connections = connectionTracker();
  server.on("connection", (socket) => connections.add(socket));
  await listen(server);
  return { url: address(server), requests, idle: connections.idle, close: () => closeHttp1(server) };
}

/** A loopback port with nobody listening: bound, then released. */
export async function unusedPort(): Promise<number> {
  const server = http.createServer();
  await listen(server);
  const port = (server.address() as AddressInfo).port;
  await closeHttp1(server);
  return port;
}

export const V4 = "application/vnd.restate.endpointmanifest.v4+json";

/** A minimal valid v4 manifest body with the given services. */
export function manifestBody(services: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ protocolMode: "REQUEST_RESPONSE", minProtocolVersion: 5, maxProtocolVersion: 7, services, ...extra });
}

function listen(server: http.Server | http2.Http2Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeHttp1(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
