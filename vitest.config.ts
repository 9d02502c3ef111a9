import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Each project names its files (with `extends: true`, a project's include would add to one here).
    setupFiles: ["test/helpers/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // e2e suites start real processes on random ports; two workers fit a 2-core machine.
    pool: "forks",
    maxWorkers: 2,
    // The official SDK logs every retryable failure at WARN; tests provoke many on purpose.
    env: { RESTATE_LOGGING: process.env["RESTATE_LOGGING"] ?? "ERROR" },
    projects: [
      // Everything, with the settings above.
      { extends: true, test: { name: "stet", include: ["test/**/*.test.ts"] } },
      // The apply step's unit tests once more on the memory partition store (their fixture picks it by
      // STET_TEST_STORE), so that both implementations of the storage seam run them.
      {
        extends: true,
        test: {
          name: "apply-on-memory-store",
          include: ["test/unit/partition/apply/*.test.ts"],
          env: { STET_TEST_STORE: "memory" },
        },
      },
    ],
  },
});
