import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { PARTITIONS, keysByPartition, startCluster } from "../helpers/pg-cluster.js";
import { usePostgres } from "../helpers/postgres.js";

// Messages between partitions led by different nodes (calls, their results, one-way and delayed sends)
// go through the shared outbox: the target's leader applies and deletes each in one fenced transaction.

const pg = usePostgres();

/** Fan-out runs by caller key, counted in the service process: nothing may run twice. */
const runs = new Map<string, number>();

const tally = restate.object({
  name: "Tally",
  handlers: {
    add: async (ctx: restate.ObjectContext, n: number) => {
      const v = ((await ctx.get<number>("n")) ?? 0) + n;
      ctx.set("n", v);
      return v;
    },
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("n")) ?? 0),
  },
});

const fan = restate.object({
  name: "Fan",
  handlers: {
    /** Calls every Tally key once and sends each one more add, one of them delayed. */
    out: async (ctx: restate.ObjectContext, keys: string[]) => {
      await ctx.run("count", () => void runs.set(ctx.key, (runs.get(ctx.key) ?? 0) + 1));
      const results: number[] = [];
      for (const key of keys) results.push(await ctx.objectClient(tally, key).add(1));
      keys.forEach((key, i) => {
        if (i === 0) ctx.objectSendClient(tally, key).add(1, restate.rpc.sendOpts({ delay: 300 }));
        else ctx.objectSendClient(tally, key).add(1);
      });
      return results.length;
    },
  },
});

const started: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.close();
  runs.clear();
});

describe("delivery between partitions led by different nodes", () => {
  it("calls, results, sends and delayed sends arrive exactly once, through either node", async () => {
    const c = await startCluster(pg.url, [tally, fan], started);
    const tallyKeys = keysByPartition("Tally");
    const fanKeys = keysByPartition("Fan");
    // Every caller partition calls every target partition: half of the pairs cross nodes.
    const calls = fanKeys.flatMap((key, p) =>
      [c.a, c.b].map((node, n) => node.call(`/Fan/${key}/out`, tallyKeys, { "idempotency-key": `fan-${p}-${n}` })),
    );
    const answers = await Promise.all(calls);
    for (const res of answers) expect(res.status, await res.clone().text()).toBe(200);
    for (const res of answers) expect(await res.json()).toBe(PARTITIONS);
    for (const key of fanKeys) expect(runs.get(key), key).toBe(2);

    // Each Fan/out added 1 to every Tally key by call and 1 by send: 2 × (2 calls per Fan key × 4 keys).
    const expected = 2 * 2 * fanKeys.length;
    const deadline = Date.now() + 20_000;
    for (const key of tallyKeys) {
      for (;;) {
        const n = (await (await c.b.call(`/Tally/${key}/get`, null, {})).json()) as number;
        if (n === expected) break;
        expect(n, `Tally/${key}`).toBeLessThan(expected);
        if (Date.now() > deadline) throw new Error(`Tally/${key} stayed at ${n}, wanted ${expected}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }, 60_000);
});
