import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let root: string | null | undefined;
let cached: string | undefined;

/**
 * The folder of stet's package (the one whose package.json is named `stet`), found by walking up from
 * this module: works from the sources (server/), the compiled tree (dist/server/) and the single-file
 * bundle (dist/). Null when there is none (a copied bundle without its package).
 */
export function stetPackageRoot(): string | null {
  if (root !== undefined) return root;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (readPackage(dir)?.name === "stet") return (root = dir);
    if (path.dirname(dir) === dir) return (root = null);
  }
}

/** A file of the package's dist/ folder (the web UI, the query process's bundle). */
export function distFile(...segments: string[]): string {
  return path.join(stetPackageRoot() ?? process.cwd(), "dist", ...segments);
}

/** stet's version from its package.json. */
export function stetVersion(): string {
  if (cached !== undefined) return cached;
  const dir = stetPackageRoot();
  const version = dir === null ? undefined : readPackage(dir)?.version;
  return (cached = typeof version === "string" ? version : "0.0.0-unknown");
}

function readPackage(dir: string): { name?: string; version?: string } | undefined {
  const file = path.join(dir, "package.json");
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
  } catch {
    // unreadable: keep walking up
    return undefined;
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
