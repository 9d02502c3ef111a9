#!/usr/bin/env node
// The `stet` bin (bundled to dist/stet.cjs by scripts/bundle.mjs; CommonJS, which Node starts a few ms
// sooner than an ES module). It runs the server bundle dist/stet-server.cjs with the V8 code cache that
// the build recorded from a real start: compiled code is loaded instead of parsing 2.2 MB of JavaScript
// and compiling every function startup calls (Node 20 has no module compile cache). A missing, stale or
// rejected cache only costs that time back.
import fs from "node:fs";
import Module from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";

/** Set by the build: where to write the code cache this process compiled, when it exits. */
const RECORD_ENV = "STET_RECORD_CODE_CACHE";
/** Set to 1 to have the launcher say on stderr whether the code cache was used. */
const DEBUG_ENV = "STET_DEBUG_CODE_CACHE";

// V8 lets the old generation grow up to 4x its live size between full collections by default. stet's
// live heap is small (~30 MB under load) while requests make much short-lived garbage, so that default
// took RSS from ~95 MB idle to ~225 MB under load; growing by 1.5x caps it near ~150 MB for about the
// same CPU (measured with `npm run bench`). This flag is read at every collection, so setting it here works.
if (!process.execArgv.some((flag) => flag.startsWith("--heap-growing-percent"))) v8.setFlagsFromString("--heap-growing-percent=50");

run(fileURLToPath(new URL("./stet-server.cjs", import.meta.url)));

/**
 * Compiles and runs the bundle. A function, so that the source text read here and the cache buffer are
 * garbage once the script is compiled (V8 keeps its own copy of the source with the script).
 */
function run(bundleFile: string): void {
  // The build checks that the bundle is ASCII, so latin1 reads it as UTF-8 would, without decoding.
  const source = fs.readFileSync(bundleFile, "latin1");
  // The bundle's first line names its build; the cache starts with the same line, so a cache from
  // another build (which V8 might accept when the lengths happen to match) is never used.
  const buildLine = Buffer.from(source.slice(0, source.indexOf("\n") + 1));
  const cache = readCache(`${bundleFile}.cache`, buildLine);
  const script = new vm.Script(Module.wrap(source), {
    filename: bundleFile,
    cachedData: typeof cache === "string" ? undefined : cache,
    // Only honoured for functions compiled from source: Node 20 drops it for those taken from the code
    // cache, so the build refuses a bundle that import()s a module it does not contain (scripts/bundle.mjs).
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (process.env[DEBUG_ENV] === "1") {
    const state = typeof cache === "string" ? cache : script.cachedDataRejected === true ? "rejected" : "used";
    process.stderr.write(`stet: code cache ${state}\n`);
  }

  const recordTo = process.env[RECORD_ENV];
  if (recordTo !== undefined && recordTo !== "") {
    delete process.env[RECORD_ENV];
    process.once("exit", () => fs.writeFileSync(recordTo, Buffer.concat([buildLine, script.createCachedData()])));
  }

  const bundleModule = new Module(bundleFile);
  bundleModule.filename = bundleFile;
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(bundleModule.exports, bundleModule.exports, Module.createRequire(bundleFile), bundleModule, bundleFile, path.dirname(bundleFile));
}

/** The recorded cache of this build, or why there is none. */
function readCache(cacheFile: string, buildLine: Buffer): Buffer | "absent" | "from another build" {
  let cache: Buffer;
  try {
    cache = fs.readFileSync(cacheFile);
  } catch {
    return "absent";
  }
  return cache.subarray(0, buildLine.length).equals(buildLine) ? cache.subarray(buildLine.length) : "from another build";
}
