import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { FORWARDED_HEADER } from "../../server/routing/index.js";
import { eventuallyDefined, idempotencyKeyIn, keysByPartition, PARTITIONS, partitionOfId, startCluster } from "../helpers/pg-cluster.js";
import { usePostgres } from "../helpers/postgres.js";
import type { TestStet } from "../helpers/stet.js";
import { counter } from "../helpers/counter.js";

// Two nodes on one PostgreSQL, the partitions split between them: every request works through either
// node, the one that does not lead the partition passing it on to the one that does.

const pg = usePostgres();

/** Handler runs by name, counted in the service process: forwarding must not run anything twice. */
const runs = new Map<string, number>();
const ran = (name: string) => runs.set(name, (runs.get(name) ?? 0) + 1);
/** Awakeable ids handed out by Waiter/wait, by the caller's tag. */
const awakeables = new Map<string, string>();

const greeter = restate.service({
  name: "Greeter",
  handlers: {
    greet: async (ctx: restate.Context, name: string) => {
      await ctx.run("count", () => ran(`greet:${name}`));
      return `hello ${name}`;
    },
    nap: async (ctx: restate.Context, ms: number) => {
      await ctx.sleep(ms);
      return "woke";
    },
  },
});

const waiter = restate.service({
  name: "Waiter",
  handlers: {
    wait: async (ctx: restate.Context, tag: string) => {
      const { id, promise } = ctx.awakeable<string>();
      await ctx.run("publish", () => void awakeables.set(tag, id));
      return `got ${await promise}`;
    },
  },
});

const started: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.close();
  runs.clear();
  awakeables.clear();
});

const cluster = () => startCluster(pg.url, [counter, greeter, waiter], started);

const post = (node: TestStet, path: string, body: unknown, headers: Record<string, string> = {}) => node.call(path, body, headers);

describe("a cluster of two nodes on PostgreSQL", () => {
  it("runs calls and object handlers of every partition through either node, each once", async () => {
    const c = await cluster();
    const keys = keysByPartition("Counter");
    for (let round = 1; round <= 3; round++) {
      for (const node of [c.a, c.b]) {
        for (const [p, key] of keys.entries()) {
          const res = await post(node, `/Counter/${key}/add`, 1);
          expect(res.status).toBe(200);
          // Exact: each add ran once, whichever node it came through.
          expect(await res.json()).toBe(2 * (round - 1) + (node === c.a ? 1 : 2));
          expect(partitionOfId(res.headers.get("x-restate-id")!)).toBe(p);
        }
      }
    }
    for (let p = 0; p < PARTITIONS; p++) {
      for (const node of [c.a, c.b]) {
        const name = `${node === c.a ? "a" : "b"}${p}`;
        const key = idempotencyKeyIn(p, "Greeter", "greet", name);
        const res = await post(node, "/Greeter/greet", name, { "idempotency-key": key });
        expect(res.status).toBe(200);
        expect(await res.json()).toBe(`hello ${name}`);
        expect(partitionOfId(res.headers.get("x-restate-id")!)).toBe(p);
      }
    }
    expect([...runs.values()]).toEqual(Array(2 * PARTITIONS).fill(1));
  });

  it("answers a send on one node and its attach on the other, and an idempotent send the same on both", async () => {
    const c = await cluster();
    for (let p = 0; p < PARTITIONS; p++) {
      const leader = c.leaderOf(p);
      const other = c.otherThan(leader);
      const key = idempotencyKeyIn(p, "Greeter", "greet", `send${p}`);
      const first = await post(other, "/Greeter/greet/send", `s${p}`, { "idempotency-key": key });
      expect(first.status).toBe(202);
      const accepted = (await first.json()) as { invocationId: string; status: string };
      expect(accepted.status).toBe("Accepted");
      expect(partitionOfId(accepted.invocationId)).toBe(p);
      const again = await post(leader, "/Greeter/greet/send", `s${p}`, { "idempotency-key": key });
      expect(await again.json()).toEqual({ invocationId: accepted.invocationId, status: "PreviouslyAccepted" });
      const attached = await fetch(`${other.node.ingressUrl}/restate/invocation/${accepted.invocationId}/attach`);
      expect(attached.status).toBe(200);
      expect(await attached.json()).toBe(`hello s${p}`);
      const output = await fetch(`${other.node.ingressUrl}/restate/invocation/${accepted.invocationId}/output`);
      expect(await output.json()).toBe(`hello s${p}`);
      expect(runs.get(`greet:s${p}`)).toBe(1);
    }
  });

  it("resolves an awakeable and cancels an invocation through the node that does not lead it", async () => {
    const c = await cluster();
    for (let p = 0; p < PARTITIONS; p++) {
      const leader = c.leaderOf(p);
      const other = c.otherThan(leader);
      // The awakeable's id names the waiting invocation, so its partition is the call's.
      const tag = `t${p}`;
      const call = post(leader, "/Waiter/wait", tag, { "idempotency-key": idempotencyKeyIn(p, "Waiter", "wait", tag) });
      const id = await eventuallyDefined(() => awakeables.get(tag));
      const resolved = await fetch(`${other.node.ingressUrl}/restate/awakeables/${id}/resolve`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(`value ${p}`),
      });
      expect(resolved.status).toBe(202);
      expect(await (await call).json()).toBe(`got value ${p}`);

      const sent = await post(leader, "/Greeter/nap/send", 600_000, { "idempotency-key": idempotencyKeyIn(p, "Greeter", "nap", `nap${p}`) });
      const { invocationId } = (await sent.json()) as { invocationId: string };
      const cancelled = await fetch(`${other.node.adminUrl}/invocations/${invocationId}/cancel`, { method: "PATCH" });
      expect(cancelled.status).toBe(202);
      const attached = await fetch(`${other.node.ingressUrl}/restate/invocation/${invocationId}/attach`);
      expect(attached.status).toBe(409);
    }
  });

  it("never forwards a request that was forwarded already: the node answers 503 and the leader sees nothing", async () => {
    const c = await cluster();
    const keys = keysByPartition("Counter");
    const p = 0;
    const leader = c.leaderOf(p);
    const other = c.otherThan(leader);
    // As a forwarding node whose map was stale would send it: to a node that does not lead the partition.
    const res = await post(other, `/Counter/${keys[p]}/add`, 5, { [FORWARDED_HEADER]: "a-node-with-a-stale-map" });
    expect(res.status).toBe(503);
    expect(res.headers.get("x-stet-error-code")).toBe("STET_PARTITION_NOT_LEADER");
    // Nothing ran: the first add through either node counts from zero.
    expect(await (await post(other, `/Counter/${keys[p]}/add`, 1)).json()).toBe(1);
  });
});
