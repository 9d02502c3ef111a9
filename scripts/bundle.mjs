// Bundles the compiled server into one file, dist/stet.mjs, which the `stet` bin runs: loading one
// file instead of hundreds of modules takes startup to healthy from ~410 ms to ~260 ms here (Node 20
// has no module compile cache). better-sqlite3 stays external: it loads a native addon.
import { build } from "esbuild";

await build({
  entryPoints: ["dist/server/cli.js"],
  outfile: "dist/stet.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["better-sqlite3"],
  // CommonJS dependencies call require() for Node built-ins; give the ESM bundle one.
  banner: { js: "import { createRequire as __stetCreateRequire } from 'node:module'; const require = __stetCreateRequire(import.meta.url);" },
  sourcemap: true,
  logLevel: "warning",
});
