import * as restate from "@restatedev/restate-sdk";

/**
 * One version of a service, as each of two deployments serves it in the pinning tests: every result names
 * the version that ran it. `wait` publishes its awakeable's id (in `awakeables`, under its input) from a
 * `ctx.run`, so it is pinned once it suspended, then finishes with another step
 * (journal: 0 Input, 1 Run, 2 its completion, the signal, a Run and its completion, Output); `quick`
 * returns at once; `fail` fails before it writes anything, on its only attempt (paused, never pinned).
 */
export function versionedService(name: string, version: string, awakeables: Map<string, string>) {
  return restate.service({
    name,
    handlers: {
      wait: async (ctx: restate.Context, tag: string) => {
        const { id, promise } = ctx.awakeable<string>();
        await ctx.run("publish", () => void awakeables.set(tag, id));
        const value = await promise;
        const after = await ctx.run("after", () => version);
        return `${version}:${value}:${after}`;
      },
      quick: async () => version,
      fail: restate.handlers.handler({ retryPolicy: { maxAttempts: 1, onMaxAttempts: "pause" } }, async (): Promise<string> => {
        throw new Error(`${version} fails`);
      }),
    },
    // Suspends soon after it waits, as a long wait would.
    options: { inactivityTimeout: 100 },
  });
}
