import { existsSync } from "node:fs";
import { chromium, type BrowserContext } from "playwright-core";
import { tempDir } from "./temp-dir.js";

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

export interface TestBrowser {
  /** The browser's one context (its profile is a new folder, removed on close). */
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches chromium with a fresh profile folder. A missing chromium fails the test with the command that
 * installs it: browser tests must not pass by being skipped.
 */
export async function launchChromium(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: install it with 'apt-get install -y chromium' (.ci/run does)`);
  }
  const profile = tempDir("stet-chromium-");
  // Playwright passes the folder as --user-data-dir (it refuses that flag among the args).
  const context = await chromium.launchPersistentContext(profile.path, { executablePath: CHROMIUM, args: ARGS, headless: true }).catch((error: unknown) => {
    profile.remove();
    throw error;
  });
  return {
    context,
    close: async () => {
      await context.close();
      profile.remove();
    },
  };
}
