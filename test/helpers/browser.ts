import { launchChromium as launch, type Chromium } from "../../scripts/lib/chromium.js";

export { CHROMIUM } from "../../scripts/lib/chromium.js";

export type TestBrowser = Chromium;

/**
 * Debian's chromium with a fresh profile folder, for the web UI's browser tests. A missing chromium fails
 * the test with the command that installs it: browser tests must not pass by being skipped.
 */
export function launchChromium(): Promise<TestBrowser> {
  return launch();
}
