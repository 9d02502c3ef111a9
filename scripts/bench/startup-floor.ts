// Builds the startup floor (see startup-floor-app.ts) into a folder: the app bundled into one CommonJS
// file next to a copy of the `stet` launcher, and the launcher's code cache recorded from one start,
// exactly as `npm run build` prepares stet. The bench then starts it like stet and reports its startup
// beside stet's and restate-server's.
import { randomUUID } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { distPath, startServer } from "./servers.js";

/** Returns the launcher to start instead of the `stet` bin. */
export async function buildStartupFloor(dir: string, logFile: string): Promise<string> {
  const launcher = path.join(dir, "stet.cjs");
  await build({
    entryPoints: [distPath("scripts/bench/startup-floor-app.js")],
    outfile: path.join(dir, "stet-server.cjs"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minifyWhitespace: true,
    legalComments: "none",
    logLevel: "warning",
    // The launcher uses a cache only with the bundle whose first line it starts with.
    banner: { js: `// stet-build:startup-floor-${randomUUID()}\n"use strict";` },
  });
  copyFileSync(distPath("stet.cjs"), launcher);
  const scratch = mkdtempSync(path.join(dir, "record-"));
  const recording = await startServer("stet", {
    dataDir: scratch,
    logFile,
    bin: launcher,
    env: { STET_RECORD_CODE_CACHE: path.join(dir, "stet-server.cjs.cache") },
  });
  await recording.stop();
  rmSync(scratch, { recursive: true, force: true });
  return launcher;
}
