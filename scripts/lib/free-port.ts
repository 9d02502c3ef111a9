import { createServer } from "node:net";

/** Ports this process handed out lately: the kernel may give the same free port to two calls in a row. */
const handedOut = new Set<number>();
const REMEMBERED = 256;

/**
 * A TCP port free on loopback right now (bound and released), for servers started by tests and scripts;
 * never one this process handed out among its last 256 (two servers started together must not be told
 * the same port, as seen once: an ingress and an admin port alike).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await bindAndRelease();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (handedOut.size > REMEMBERED) handedOut.delete(handedOut.values().next().value!);
    return port;
  }
}

function bindAndRelease(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
