import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it when missing). */
export const CHROMIUM = "/usr/bin/chromium";

// Headless as root on a machine without outside network: no sandbox, no GPU, and none of chromium's
// own background traffic (its lookups of Google's hosts are refused here, many at a time).
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Chromium {
  /** The browser's one context (its profile is a new folder, removed on close). */
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches chromium with a fresh profile folder (for the browser tests, the screenshots and the UI's
 * load measurement). A missing chromium is an error that says how to install it.
 */
export async function launchChromium(options: { viewport?: { width: number; height: number }; colorScheme?: "light" | "dark" } = {}): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the web UI's browser runs need Debian's chromium at ${CHROMIUM}: install it with 'apt-get install -y chromium' (.ci/run does)`);
  }
  const profile = mkdtempSync(path.join(os.tmpdir(), "stet-chromium-"));
  const remove = () => rmSync(profile, { recursive: true, force: true });
  // Playwright passes the folder as --user-data-dir (it refuses that flag among the args).
  const context = await chromium
    .launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      ...(options.viewport === undefined ? {} : { viewport: options.viewport }),
      ...(options.colorScheme === undefined ? {} : { colorScheme: options.colorScheme }),
    })
    .catch((error: unknown) => {
      remove();
      throw error;
    });
  return {
    context,
    close: async () => {
      await context.close();
      remove();
    },
  };
}
