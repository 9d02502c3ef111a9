import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAdminApp } from "../../../../server/admin/index.js";
import { safeRelativePath } from "../../../../server/admin/web-ui-files.js";
import { openSqliteRegistry, type SqliteRegistry } from "../../../helpers/registry.js";
import { tempDir } from "../../../helpers/temp-dir.js";

// The admin app's static serving of the built web UI (server/admin/web-ui-routes.ts), on a fake build.
const INDEX = "<!doctype html><title>ui</title>";
const SCRIPT = "console.log('ui')";

let dir: ReturnType<typeof tempDir>;
let sqlite: SqliteRegistry;
let app: FastifyInstance;
let unbuilt: FastifyInstance;

beforeAll(async () => {
  dir = tempDir("stet-web-ui-");
  const ui = join(dir.path, "ui");
  mkdirSync(join(ui, "assets"), { recursive: true });
  writeFileSync(join(ui, "index.html"), INDEX);
  writeFileSync(join(ui, "assets", "index-AbC123.js"), SCRIPT);
  writeFileSync(join(ui, "assets", "index-AbC123.css"), "body{}");
  writeFileSync(join(ui, "logo.svg"), "<svg/>");
  writeFileSync(join(dir.path, "secret.txt"), "not for the browser");
  sqlite = await openSqliteRegistry();
  const { registry } = sqlite;
  app = buildAdminApp({ registry, webUi: { root: ui } });
  unbuilt = buildAdminApp({ registry, webUi: { root: join(dir.path, "nothing-here") } });
  await Promise.all([app.ready(), unbuilt.ready()]);
});

afterAll(async () => {
  await Promise.all([app.close(), unbuilt.close()]);
  sqlite.close();
  dir.remove();
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: "GET", url, headers });

describe("the web UI's routes", () => {
  it("redirects / and /ui to /ui/", async () => {
    for (const url of ["/", "/ui"]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(308);
      expect(response.headers["location"], url).toBe("/ui/");
    }
  });

  it("serves index.html at /ui/ and for every page path, revalidated on each load", async () => {
    for (const url of ["/ui/", "/ui/invocations", "/ui/invocations/inv_1abc", "/ui/sql?x=1", "/ui/services/my.pkg.Greeter", "/ui/state/v1.Cart?key=a.b"]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers["content-type"], url).toBe("text/html; charset=utf-8");
      expect(response.headers["cache-control"], url).toBe("no-cache");
      expect(response.body, url).toBe(INDEX);
    }
  });

  it("serves hashed assets with their content type, cached for good", async () => {
    const script = await get("/ui/assets/index-AbC123.js");
    expect(script.statusCode).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(script.body).toBe(SCRIPT);
    expect((await get("/ui/assets/index-AbC123.css")).headers["content-type"]).toBe("text/css; charset=utf-8");
    const logo = await get("/ui/logo.svg");
    expect(logo.headers["content-type"]).toBe("image/svg+xml");
    expect(logo.headers["cache-control"]).toBe("no-cache");
  });

  it("answers 304 to a matching If-None-Match", async () => {
    const first = await get("/ui/assets/index-AbC123.js");
    const etag = String(first.headers["etag"]);
    expect(etag).toMatch(/^".+"$/);
    const again = await get("/ui/assets/index-AbC123.js", { "if-none-match": etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
  });

  it("answers 404, not the page, for a missing asset", async () => {
    for (const url of ["/ui/assets/index-gone.js", "/ui/missing.css", "/ui/assets/page"]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.json(), url).toEqual({ message: `no web UI file ${url}`, restate_code: null });
    }
  });

  it("never serves a file outside its folder", async () => {
    for (const url of ["/ui/%2e%2e/secret.txt", "/ui/..%2fsecret.txt", "/ui/assets/%2e%2e/%2e%2e/secret.txt", "/ui/%5c..%5csecret.txt"]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.json(), url).toMatchObject({ restate_code: null });
    }
    expect(safeRelativePath("a/../../b")).toBeUndefined();
    expect(safeRelativePath("a/./b//c")).toBe("a/b/c");
    expect(safeRelativePath("x\0y")).toBeUndefined();
  });

  it("is not part of the versioned API: /v2/ui/ to /v4/ui/ answer 404 while /v4/health still works", async () => {
    for (const url of ["/v2/ui/", "/v4/ui/assets/index-AbC123.js", "/v4/ui", "/v3", "/v4/"]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.json(), url).toMatchObject({ restate_code: null });
    }
    expect((await get("/v4/health")).statusCode).toBe(200);
    expect((await get("/health")).statusCode).toBe(200);
    // The admin routes' 405 answers are unchanged.
    expect((await app.inject({ method: "DELETE", url: "/health" })).statusCode).toBe(405);
  });

  it("says how to build the UI when it is not built", async () => {
    const response = await unbuilt.inject({ method: "GET", url: "/ui/" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ message: expect.stringContaining("run npm run build"), restate_code: null });
  });
});
