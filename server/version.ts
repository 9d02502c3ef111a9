import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/**
 * stet's version from package.json, found by walking up from this module: works from the sources
 * (server/), the compiled tree (dist/server/) and the single-file bundle (dist/).
 */
export function stetVersion(): string {
  if (cached !== undefined) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
        if (pkg.name === "stet" && typeof pkg.version === "string") return (cached = pkg.version);
      } catch {
        // unreadable: keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return (cached = "0.0.0-unknown");
    dir = parent;
  }
}
