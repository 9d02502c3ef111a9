import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The bin (dist/stet.cjs) runs the server bundle with the code cache the build recorded. A copy of the
// three files inside the repo (so better-sqlite3 still resolves from node_modules) lets each case change
// the cache without touching dist/.
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const files = ["stet.cjs", "stet-server.cjs", "stet-server.cjs.cache"];
let copy: string;

beforeAll(() => {
  for (const file of files) if (!fs.existsSync(path.join(repo, "dist", file))) throw new Error(`dist/${file} is missing: run \`npm run build\` first`);
  copy = fs.mkdtempSync(path.join(repo, "dist", ".launcher-test-"));
  for (const file of files) fs.copyFileSync(path.join(repo, "dist", file), path.join(copy, file));
});

afterAll(() => {
  fs.rmSync(copy, { recursive: true, force: true });
});

function version(): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [path.join(copy, "stet.cjs"), "--version"], {
    env: { ...process.env, STET_DEBUG_CODE_CACHE: "1" },
    encoding: "utf8",
    timeout: 20_000,
  });
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
}

const packageVersion = (JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as { version: string }).version;
const cacheFile = () => path.join(copy, "stet-server.cjs.cache");

describe("the stet bin's code cache", () => {
  it("uses the cache the build recorded", () => {
    expect(version()).toEqual({ status: 0, stdout: packageVersion, stderr: "stet: code cache used" });
  });

  it("ignores a cache recorded from another build and runs without it", () => {
    const cache = fs.readFileSync(cacheFile());
    const otherBuild = Buffer.from(cache);
    otherBuild.write("x", otherBuild.indexOf(":") + 1); // the build id (hex) on the cache's first line
    fs.writeFileSync(cacheFile(), otherBuild);
    try {
      expect(version()).toEqual({ status: 0, stdout: packageVersion, stderr: "stet: code cache from another build" });
    } finally {
      fs.writeFileSync(cacheFile(), cache);
    }
  });

  it("runs without a cache V8 rejects (corrupt bytes) or without any cache", () => {
    const cache = fs.readFileSync(cacheFile());
    const lineEnd = cache.indexOf("\n") + 1;
    const corrupt = Buffer.concat([cache.subarray(0, lineEnd), Buffer.alloc(cache.length - lineEnd, 0x5a)]);
    fs.writeFileSync(cacheFile(), corrupt);
    try {
      expect(version()).toEqual({ status: 0, stdout: packageVersion, stderr: "stet: code cache rejected" });
      fs.rmSync(cacheFile());
      expect(version()).toEqual({ status: 0, stdout: packageVersion, stderr: "stet: code cache absent" });
    } finally {
      fs.writeFileSync(cacheFile(), cache);
    }
  });
});
