import * as restate from "@restatedev/restate-sdk";

/**
 * An official-SDK service `Flaky` whose `run` handler does one `ctx.run` step that fails (retryably)
 * as many times as `failNext` says, then returns "ok". Retries come after 10 ms.
 */
export function flakyService(): { readonly service: ReturnType<typeof restate.service>; failNext(times: number): void } {
  let failuresLeft = 0;
  const service = restate.service({
    name: "Flaky",
    handlers: {
      run: async (ctx: restate.Context) => {
        await ctx.run("step", () => {
          if (failuresLeft-- > 0) throw new Error("flaky step failed");
        });
        return "ok";
      },
    },
    options: { retryPolicy: { initialInterval: { milliseconds: 10 } } },
  });
  return { service, failNext: (times) => (failuresLeft = times) };
}
