import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/helpers/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e suites start real processes on random ports; two workers fit a 2-core machine.
    pool: "forks",
    maxWorkers: 2,
    // The official SDK logs every retryable failure at WARN; tests provoke many on purpose.
    env: { RESTATE_LOGGING: process.env["RESTATE_LOGGING"] ?? "ERROR" },
  },
});
