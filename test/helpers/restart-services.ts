import * as restate from "@restatedev/restate-sdk";

/**
 * The services the restart-as-new tests (integration and differential) restart, named with `prefix`
 * (`Steps`/`DiffSteps`, …). Side effects are counted per key, and awakeable ids are published per tag,
 * so that a test can tell which steps a restarted invocation ran again.
 */
export function restartServices(prefix: string) {
  const sideEffects = new Map<string, number>();
  const awakeables = new Map<string, string>();
  const count = (key: string) => sideEffects.set(key, (sideEffects.get(key) ?? 0) + 1);

  const steps = restate.service({
    name: `${prefix}Steps`,
    handlers: {
      // Journal: 0 Input, 1 Run, 2 its completion, 3 Run, 4 its completion, 5 Run, 6 its completion, 7 Output.
      three: async (ctx: restate.Context, tag: string) => {
        let total = 0;
        for (const step of [1, 2, 3]) total += await ctx.run(`step${step}`, () => (count(`${tag}:${step}`), step));
        return `${tag}=${total}`;
      },
      // Journal: 0 Input, 1 Sleep (never completed: the run wins), 2 Run, 3 its completion, 4 Output.
      racer: async (ctx: restate.Context) =>
        restate.RestatePromise.race([ctx.sleep(600_000).map(() => "slept"), ctx.run("quick", () => "quick")]),
      // Journal: 0 Input, 1 Run, 2 its completion, 3 the awakeable's signal, 4 Output. The id is published
      // once the run's completion is journaled, so that the signal cannot come before it.
      awaitResolution: async (ctx: restate.Context, tag: string) => {
        const { id, promise } = ctx.awakeable<string>();
        await ctx.run("step", () => count(`${tag}:1`));
        awakeables.set(tag, id);
        return await promise;
      },
      slow: async (ctx: restate.Context) => {
        await ctx.sleep(600_000);
        return "late";
      },
    },
  });

  const counter = restate.object({
    name: `${prefix}Counter`,
    handlers: {
      // Journal: 0 Input, 1 GetEagerState, 2 SetState, 3 Run, 4 its completion, 5 Output.
      add: async (ctx: restate.ObjectContext, n: number) => {
        const value = ((await ctx.get<number>("value")) ?? 0) + n;
        ctx.set("value", value);
        return await ctx.run("side", () => (count(`counter:${ctx.key}`), value));
      },
      get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("value")) ?? 0),
    },
  });

  const flow = restate.workflow({ name: `${prefix}Flow`, handlers: { run: async () => "done", peek: async () => "peek" } });

  return { steps, counter, flow, sideEffects, awakeables };
}
