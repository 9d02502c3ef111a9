import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { distFile } from "../version.js";

/** One file of the built web UI, as it is sent. */
export interface WebUiFile {
  readonly body: Buffer;
  readonly contentType: string;
  readonly cacheControl: string;
  readonly etag: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

// Vite writes content-hashed names under assets/: a changed file gets a new name, so browsers may keep
// these for good. Everything else (index.html) is revalidated on each load, so a new build shows at once.
const HASHED_DIR = "assets/";
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

export type WebUiLookup = { readonly kind: "file"; readonly file: WebUiFile } | { readonly kind: "missing" } | { readonly kind: "not-built" };

/**
 * The built UI in `root` (vite's output), read from the disk on each request: nothing is loaded at
 * startup, and a rebuild shows without a restart. Paths that are not files fall back to `index.html`
 * (the UI routes in the browser), except asset-like paths (under assets/, or ending in the extension of a
 * file type served here), which are missing: a stale script tag must fail as a 404, not run HTML as
 * JavaScript. Other dots are page paths: service names such as `my.pkg.Greeter`.
 */
export class WebUiFiles {
  readonly #root: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
  }

  get root(): string {
    return this.#root;
  }

  /** The file for `relative` (the URL path after `/ui/`, decoded). */
  async lookup(relative: string): Promise<WebUiLookup> {
    const safe = safeRelativePath(relative);
    if (safe === undefined) return { kind: "missing" };
    if (safe !== "") {
      const file = await this.#read(safe);
      if (file !== undefined) return { kind: "file", file };
      if (safe.startsWith(HASHED_DIR) || CONTENT_TYPES[path.posix.extname(safe).toLowerCase()] !== undefined) return { kind: "missing" };
    }
    const index = await this.#read("index.html");
    return index === undefined ? { kind: "not-built" } : { kind: "file", file: index };
  }

  async #read(relative: string): Promise<WebUiFile | undefined> {
    const full = path.join(this.#root, relative);
    try {
      if (!(await stat(full)).isFile()) return undefined;
      const body = await readFile(full);
      return {
        body,
        contentType: CONTENT_TYPES[path.extname(full).toLowerCase()] ?? "application/octet-stream",
        cacheControl: relative.startsWith(HASHED_DIR) ? IMMUTABLE : REVALIDATE,
        etag: `"${createHash("sha1").update(body).digest("base64url")}"`,
      };
    } catch {
      return undefined;
    }
  }
}

/** `relative` as a path inside the root, or undefined when it would leave it (`..`, absolute, NUL). */
export function safeRelativePath(relative: string): string | undefined {
  if (relative.includes("\0") || relative.includes("\\")) return undefined;
  const segments = relative.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.some((s) => s === "..")) return undefined;
  return segments.join("/");
}

/** dist/ui of stet's package (from the sources, the bundle, or tsc's output). */
export function defaultWebUiRoot(): string {
  return distFile("ui");
}
