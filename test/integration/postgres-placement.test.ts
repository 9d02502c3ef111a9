import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { partitionKeyForKey, partitionOf } from "../../protocol/index.js";
import { usePostgres } from "../helpers/postgres.js";
import { startEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";
import { counter } from "../helpers/counter.js";
import { eventually } from "../helpers/eventually.js";

// Nodes of one cluster spread its partitions evenly among themselves (partition/placement.ts): a
// joining node is handed its share, a node that stops hands its partitions over at once. The leases
// here last a minute, so every move these tests wait for is a handover, never a lease running out.

const pg = usePostgres();
const PARTITIONS = 6;
const LEASE_MS = 60_000;

const started: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.close();
});

async function node(): Promise<TestStet> {
  const stet = await startTestStet({ store: pg.url, partitions: PARTITIONS, leaseTtlMs: LEASE_MS });
  started.push(stet);
  return stet;
}

const led = (node: TestStet) =>
  Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => node.node.partitions.processor(p)?.isLeader === true);

/** Waits until the nodes lead `counts` partitions (in order) and every partition exactly once. */
async function spreadIs(nodes: readonly TestStet[], counts: readonly number[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const each = nodes.map(led);
    const all = each.flat();
    const even = each.every((l, i) => l.length === counts[i]) && new Set(all).size === PARTITIONS && all.length === PARTITIONS;
    if (even) return;
    if (Date.now() > deadline) throw new Error(`partitions led ${JSON.stringify(each)}, wanted counts ${JSON.stringify(counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Handler runs by key, counted in the service process. */
const runs = new Map<string, number>();

const napper = restate.object({
  name: "Napper",
  handlers: {
    nap: async (ctx: restate.ObjectContext, ms: number) => {
      await ctx.run("count", () => void runs.set(ctx.key, (runs.get(ctx.key) ?? 0) + 1));
      await ctx.sleep(ms);
      return `${ctx.key} woke`;
    },
  },
});

describe("partition placement over a cluster's nodes", () => {
  it("spreads partitions over nodes as they join, and a stopping node hands its own over at once", async () => {
    const a = await node();
    await spreadIs([a], [6]);
    const b = await node();
    await spreadIs([a, b], [3, 3]);
    const c = await node();
    await spreadIs([a, b, c], [2, 2, 2]);

    // b stops gracefully: its partitions go to a and c long before its leases would run out.
    await b.close();
    started.splice(started.indexOf(b), 1);
    await spreadIs([a, c], [3, 3]);
  });

  it("keeps object counters exact while partitions move between nodes under load", async () => {
    const service = await startEndpoint([counter], { http: 2 });
    started.push(service);
    const a = await node();
    await a.register(service.url);
    const keys = Array.from({ length: PARTITIONS * 2 }, (_, i) => `k${i}`);
    expect(new Set(keys.map((k) => partitionOf(partitionKeyForKey("Counter", k), PARTITIONS))).size).toBeGreaterThan(1);

    // Adds run through a while b and c join and take their shares; a moved partition's requests are
    // forwarded, or answered 503 for a moment while it changes hands, and then sent again with the same
    // idempotency key.
    const ADDS = 15;
    const adds = keys.flatMap((key) =>
      Array.from({ length: ADDS }, (_, i) => async () => {
        for (let tries = 0; tries < 200; tries++) {
          const res = await a.call(`/Counter/${key}/add`, 1, { "idempotency-key": `${key}-${i}` });
          if (res.status === 200) return;
          expect(res.status, await res.text()).toBe(503);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`add ${key}-${i} never answered`);
      }),
    );
    // One key after another in order, the keys side by side.
    const load = Promise.all(keys.map((_, k) => (async () => {
      for (let i = 0; i < ADDS; i++) await adds[k * ADDS + i]!();
    })()));
    const b = await node();
    const c = await node();
    await spreadIs([a, b, c], [2, 2, 2]);
    await load;

    for (const key of keys) {
      const res = await c.call(`/Counter/${key}/add`, 0, {});
      expect(await res.json()).toBe(ADDS);
    }
  }, 60_000);

  it("a caller waiting on a node whose partition is handed over gets the answer from the next leader", async () => {
    const service = await startEndpoint([napper], { http: 2 });
    started.push(service);
    const a = await node();
    await a.register(service.url);
    await spreadIs([a], [PARTITIONS]);
    const keys: string[] = [];
    for (let i = 0; keys.filter(Boolean).length < PARTITIONS; i++) keys[partitionOf(partitionKeyForKey("Napper", `n${i}`), PARTITIONS)] ??= `n${i}`;

    // Calls without idempotency keys: the caller has no other way to its answer than this connection.
    const calls = keys.map((key) => a.call(`/Napper/${key}/nap`, 6_000, {}).then(async (res) => ({ status: res.status, body: await res.text() })));
    await eventually("every nap to run once", async () => (keys.every((k) => runs.get(k) === 1) ? true : undefined));
    const b = await node();
    await spreadIs([a, b], [3, 3]);
    const moved = led(b).map((p) => keys[p]!);
    expect(moved).toHaveLength(3);

    const answers = await Promise.all(calls);
    expect(answers).toEqual(keys.map((key) => ({ status: 200, body: JSON.stringify(`${key} woke`) })));
    for (const key of keys) expect(runs.get(key), key).toBe(1);
  }, 60_000);
});
