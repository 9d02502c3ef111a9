import * as restate from "@restatedev/restate-sdk";

/** The object most tests count with: `Counter/<key>/add(n)` adds n to its state `count` and returns the sum. */
export const counter = restate.object({
  name: "Counter",
  handlers: {
    add: async (ctx: restate.ObjectContext, n: number) => {
      const v = ((await ctx.get<number>("count")) ?? 0) + n;
      ctx.set("count", v);
      return v;
    },
  },
});
