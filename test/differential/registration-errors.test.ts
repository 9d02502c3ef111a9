import { once } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, it } from "vitest";
import { differential } from "./harness.js";
import { greeter } from "./services.js";

// Registering an address that answers but is not a Restate SDK endpoint. Both servers answer 500 with
// the same `restate_code`; the message texts differ by design (stet shows the status, the content type
// and a one-line excerpt of the body; restate-server shows the whole body, or nothing of the answer
// when it does not fall back to HTTP/1.1), so bodies are compared without their message. The texts
// are recorded in known-differences.ts (nonServiceDeploymentMessage).
const diff = differential([greeter]);

const PAGE = `<!DOCTYPE html>\n<html>\n<head><title>Not a service</title></head>\n<body>\n${"<p>Welcome.</p>\n".repeat(100)}</body>\n</html>\n`;

interface Site {
  readonly url: string;
  close(): Promise<void>;
}

/** A plain HTTP/1.1 server answering every request with the same status, content type and body. */
async function site(status: number, contentType: string, body: string): Promise<Site> {
  const server = http.createServer((_req, res) => res.writeHead(status, { "content-type": contentType }).end(body));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

let sites: { html200: Site; html404: Site; json: Site };
beforeAll(async () => {
  const [html200, html404, json] = await Promise.all([
    site(200, "text/html; charset=utf-8", PAGE),
    site(404, "text/html", PAGE),
    site(200, "application/json", JSON.stringify({ hello: "world", items: [1, 2, 3] })),
  ]);
  sites = { html200, html404, json };
});
afterAll(async () => {
  await Promise.all(Object.values(sites ?? {}).map((s) => s.close()));
});

describe("POST /deployments with an address that is not an SDK endpoint", () => {
  it("a web server (HTML 200 and 404, JSON): 500, META0014 (it does not speak HTTP/2)", () =>
    diff.compare(async (t) => {
      for (const s of [sites.html200, sites.html404, sites.json]) {
        await t.admin("POST", "/deployments", { uri: s.url }, { compare: "ignore-message" });
      }
    }));

  it("the same with use_http_11: 500, META0013 for a 200 of another content type, META0003 for a 404", () =>
    diff.compare(async (t) => {
      for (const s of [sites.html200, sites.html404, sites.json]) {
        await t.admin("POST", "/deployments", { uri: s.url, use_http_11: true }, { compare: "ignore-message" });
      }
    }));

  it("a refused connection: 500, META0003", () =>
    diff.compare(async (t) => {
      await t.admin("POST", "/deployments", { uri: "http://127.0.0.1:1" }, { compare: "ignore-message" });
      await t.admin("POST", "/deployments", { uri: "http://127.0.0.1:1", use_http_11: true }, { compare: "ignore-message" });
    }));

  it("nothing was registered", () =>
    diff.compare(async (t) => {
      await t.admin("GET", "/deployments", undefined, { compare: "keys" });
      const list = await t.admin("GET", "/deployments", undefined, { compare: "status-only" });
      t.note("deployments", (list.json as { deployments: unknown[] }).deployments.length);
    }));
});
