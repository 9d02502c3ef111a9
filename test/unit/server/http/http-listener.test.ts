import http from "node:http";
import net from "node:net";
import { Client } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { HttpListener, LISTEN_ERROR_CODES } from "../../../../server/http/http-listener.js";

const listeners: HttpListener[] = [];
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.destroy()));
  await Promise.all(listeners.splice(0).map((l) => l.close(0)));
});

const unavailable = (response: http.ServerResponse, reason: "starting" | "stopping") => {
  response.writeHead(503, { "content-type": "text/plain" });
  response.end(reason);
};

async function bind(port = 0): Promise<HttpListener> {
  const listener = await HttpListener.bind({
    role: "ingress",
    host: "127.0.0.1",
    port,
    portSetting: { flag: "--ingress-port", env: "STET_INGRESS_PORT" },
    unavailable,
  });
  listeners.push(listener);
  return listener;
}

function client(listener: HttpListener): Client {
  const c = new Client(listener.url, { pipelining: 1 });
  clients.push(c);
  return c;
}

async function get(c: Client, path = "/") {
  const res = await c.request({ method: "GET", path });
  return { status: res.statusCode, connection: res.headers["connection"], body: await res.body.text() };
}

/** An app whose requests wait until released, to hold them in flight. */
function heldApp() {
  const held: Array<() => void> = [];
  const app = (_req: http.IncomingMessage, res: http.ServerResponse) => {
    held.push(() => res.end("done"));
  };
  return { app, held, releaseAll: () => held.splice(0).forEach((r) => r()) };
}

describe("HttpListener", () => {
  it("answers 503 'starting' until the app is attached, then serves the app", async () => {
    const listener = await bind();
    const c = client(listener);
    expect(await get(c)).toMatchObject({ status: 503, body: "starting" });
    listener.serverFactory((_req, res) => res.end("app"));
    expect(await get(c)).toMatchObject({ status: 200, body: "app" });
  });

  it("on drain: a request on an open keep-alive connection gets a complete 503 with Connection: close", async () => {
    const listener = await bind();
    listener.serverFactory((_req, res) => res.end("app"));
    const c = client(listener);
    expect(await get(c)).toMatchObject({ status: 200, connection: "keep-alive" });

    await listener.drain();
    expect(await get(c)).toEqual({ status: 503, connection: "close", body: "stopping" });
  });

  it("drain stops accepting connections and resolves only once the requests under way are answered, each with Connection: close", async () => {
    const listener = await bind();
    const { app, held, releaseAll } = heldApp();
    listener.serverFactory(app);
    const c = client(listener);
    const inFlight = get(c);
    while (held.length === 0) await new Promise((r) => setTimeout(r, 5));

    let drained = false;
    const draining = listener.drain().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(drained).toBe(false);
    await expect(connect(listener.port)).rejects.toMatchObject({ code: "ECONNREFUSED" });

    releaseAll();
    expect(await inFlight).toEqual({ status: 200, connection: "close", body: "done" });
    await draining;
  });

  it("close keeps idle connections for the grace, and ends early once clients have closed theirs", async () => {
    const listener = await bind();
    listener.serverFactory((_req, res) => res.end("app"));
    const c = client(listener);
    await get(c);

    let closed = false;
    const closing = listener.close(60_000).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 50));
    // Still open: a request arriving now is answered, not reset.
    expect(closed).toBe(false);
    expect(await get(c)).toMatchObject({ status: 503, connection: "close" });
    await closing;
    expect(listener.server.listening).toBe(false);
  });

  it("close cuts idle connections once the grace has passed", async () => {
    const listener = await bind();
    listener.serverFactory((_req, res) => res.end("app"));
    const socket = await connect(listener.port);
    const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    await listener.close(30);
    await ended;
  });

  it("names the port and the flag that sets it when the port is taken", async () => {
    const taken = await bind();
    await expect(bind(taken.port)).rejects.toMatchObject({
      code: LISTEN_ERROR_CODES.portInUse,
      message: `ingress port ${taken.port} on 127.0.0.1 is already in use; choose another with --ingress-port (or STET_INGRESS_PORT)`,
    });
  });
});

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

