// Builds what the `stet` bin runs, from the compiled tree (run after tsc):
// - dist/stet-server.cjs: the server in one CommonJS file (one file loads much faster than hundreds of
//   modules), ASCII only (the launcher reads it as latin1);
// - dist/stet-query.cjs: the query process the server starts for `POST /query`;
// - dist/stet.cjs: the bin, a small launcher that runs dist/stet-server.cjs with V8's code cache;
// - dist/stet-server.cjs.cache: that cache, recorded here by starting the bundled server once on a
//   scratch data folder (so it holds the code that startup compiles) and stopping it.
// better-sqlite3 stays external: it loads a native addon.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { build } from "esbuild";

const serverFile = "dist/stet-server.cjs";
const cacheFile = `${serverFile}.cache`;
// import.meta.url in the ES sources, for the CommonJS outputs.
const importMetaUrl = `const __stetImportMetaUrl = require("node:url").pathToFileURL(__filename).href;`;
const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  define: { "import.meta.url": "__stetImportMetaUrl" },
  logLevel: "warning",
};

// Earlier layouts: the bin was dist/stet.mjs and the server dist/stet.cjs.
for (const stale of [cacheFile, "dist/stet.mjs", "dist/stet.mjs.map", "dist/stet.cjs.cache", "dist/stet.cjs.map"]) rmSync(stale, { force: true });
const server = await build({
  ...common,
  entryPoints: ["dist/server/cli.js"],
  outfile: serverFile,
  metafile: true,
  external: ["better-sqlite3"],
  // The first line names this build: the launcher uses a recorded cache only with the bundle it came from.
  banner: { js: `// stet-build:${randomUUID()}\n"use strict";\n${importMetaUrl}` },
  // Without comments the bundle is ASCII, which V8 keeps one byte per character (a few non-ASCII
  // characters in dependencies' comments made the 3 MB source a 6 MB two-byte string in the heap).
  minifyWhitespace: true,
  // Dependencies' license comments go to dist/stet-server.cjs.LEGAL.txt, which keeps them out of the code
  // (they held its last non-ASCII characters).
  legalComments: "external",
  sourcemap: true,
});
assertAscii(serverFile);
assertNoExternalDynamicImport(server.metafile);
// The SQL parser (WebAssembly, loaded from its package folder) belongs to the query child process only.
const parser = Object.keys(server.metafile.inputs).filter((input) => input.includes("node_modules/libpg-query/"));
if (parser.length > 0) throw new Error(`the server bundle must not contain libpg-query (the query process parses SQL): ${parser[0]}`);
await build({
  ...common,
  entryPoints: ["dist/server/launcher.js"],
  outfile: "dist/stet.cjs",
  banner: { js: importMetaUrl },
});
// The query process (server/query/query-child.ts), started by the server for `POST /query`. libpg-query
// stays external: it loads its WebAssembly from its own folder.
await build({
  ...common,
  entryPoints: ["dist/server/query/query-child.js"],
  outfile: "dist/stet-query.cjs",
  external: ["better-sqlite3", "libpg-query"],
  banner: { js: importMetaUrl },
  minifyWhitespace: true,
  legalComments: "external",
});
// The bin starts with `#!/usr/bin/env node`: runnable as ./dist/stet.cjs, not only through npm's link.
chmodSync("dist/stet.cjs", 0o755);
await recordCodeCache();

/**
 * A dynamic `import()` of a module outside the bundle (a builtin, better-sqlite3) works from the bundle
 * only while it runs without its code cache: Node 20 loses the script's dynamic-import hook for functions
 * it takes from the cache (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING, seen with `import("node:readline")`),
 * so such an import would fail in the shipped bin alone. Imports between our own modules are bundled.
 */
function assertNoExternalDynamicImport(metafile) {
  const found = Object.entries(metafile.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => i.kind === "dynamic-import" && i.external).map((i) => `${file}: import("${i.path}")`),
  );
  if (found.length > 0) {
    throw new Error(`the server bundle must not import() modules it does not contain (use a static import or require):\n${found.join("\n")}`);
  }
}

/** The launcher reads the bundle as latin1 (no UTF-8 decoding): only right when every byte is ASCII. */
function assertAscii(file) {
  const bytes = readFileSync(file);
  const at = bytes.findIndex((b) => b > 0x7f);
  if (at >= 0) {
    const context = bytes.subarray(Math.max(0, at - 60), at + 20).toString("utf8");
    throw new Error(`${file} has a non-ASCII byte at ${at} (…${context}…): escape it in the source (e.g. \\u00b5)`);
  }
}

/** Starts the bin once with recording on; its code cache is written when it exits. */
async function recordCodeCache() {
  const dataDir = mkdtempSync(path.join(tmpdir(), "stet-build-"));
  const out = path.resolve(cacheFile);
  try {
    const child = spawn(
      process.execPath,
      ["dist/stet.cjs", "start", "--data-dir", dataDir, "--ingress-port", "0", "--admin-port", "0", "--host", "127.0.0.1", "--log-level", "info"],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, STET_RECORD_CODE_CACHE: out } },
    );
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    const adminUrl = await new Promise((resolve, reject) => {
      let text = "";
      child.stdout.on("data", (chunk) => {
        text += chunk;
        const match = /"adminUrl":"([^"]+)"/.exec(text);
        if (match) resolve(match[1]);
      });
      void exited.then(({ code, signal }) => reject(new Error(`the bundled server exited before it was ready (code ${code}, signal ${signal})`)));
    });
    const health = await fetch(`${adminUrl}/health`);
    if (!health.ok) throw new Error(`the bundled server answered /health with ${health.status}`);
    child.kill("SIGTERM");
    const { code } = await exited;
    if (code !== 0) throw new Error(`the bundled server exited with ${code} on SIGTERM`);
    if (!existsSync(out)) throw new Error(`no code cache was written to ${out}`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
