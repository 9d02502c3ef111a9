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

/** The Restate release whose APIs stet serves. */
export const RESTATE_COMPATIBLE_VERSION = "1.7.12";

/**
 * The version `GET /version` reports: the Restate release stet answers as, with stet's own version as
 * semver build metadata (`1.7.12+stet.0.1.0`). Restate's CLI picks its SQL by this version (the pre-1.5
 * statements for anything it cannot read as 1.5 or later), and build metadata does not change that.
 */
export function reportedVersion(): string {
  return `${RESTATE_COMPATIBLE_VERSION}+stet.${stetVersion()}`;
}
