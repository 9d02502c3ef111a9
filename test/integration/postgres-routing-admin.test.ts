import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { derivedInvocationIdOf } from "../../partition/index.js";
import { eventuallyDefined, idempotencyKeyIn, keysByPartition, leads, PARTITIONS, partitionOfId, startCluster, type Cluster } from "../helpers/pg-cluster.js";
import { usePostgres } from "../helpers/postgres.js";
import type { TestStet } from "../helpers/stet.js";
import { counter } from "../helpers/counter.js";

// Two nodes on one PostgreSQL, the partitions split between them: admin requests with bodies and query
// parameters work through the node that does not lead the partition, and those that span partitions
// (batch operations, an invocation's caller) answer for the whole cluster from either node.

const pg = usePostgres();

/** Greeter/greet runs by name, counted in the service process. */
const runs = new Map<string, number>();

const greeter = restate.service({
  name: "Greeter",
  handlers: {
    greet: async (ctx: restate.Context, name: string) => {
      await ctx.run("count", () => void runs.set(name, (runs.get(name) ?? 0) + 1));
      return `hello ${name}`;
    },
    nap: async (ctx: restate.Context, ms: number) => {
      await ctx.sleep(ms);
      return "woke";
    },
  },
});

const callee = restate.object({ name: "Callee", handlers: { whoami: async (ctx: restate.ObjectContext) => ctx.request().id } });
const relay = restate.service({
  name: "Relay",
  handlers: { relay: async (ctx: restate.Context, key: string) => ({ caller: ctx.request().id, callee: await ctx.objectClient(callee, key).whoami() }) },
});

const started: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.close();
  runs.clear();
});

const cluster = () => startCluster(pg.url, [counter, greeter, callee, relay], started);

const admin = (node: TestStet, path: string, method: string, body?: unknown) =>
  fetch(`${node.node.adminUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });

interface InvocationJson {
  id: string;
  status: string;
  completion_result: string | null;
  invoked_by_id: string | null;
  invoked_by_target: string | null;
}
const invocation = async (node: TestStet, id: string) => (await (await admin(node, `/invocations/${id}`, "GET")).json()) as InvocationJson;

/** A sleeping invocation (10 minutes) in each partition, sent through its leader; their ids by partition. */
async function napsByPartition(c: Cluster, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const res = await c.leaderOf(p).call("/Greeter/nap/send", 600_000, { "idempotency-key": idempotencyKeyIn(p, "Greeter", "nap", `${tag}${p}`) });
    ids.push(((await res.json()) as { invocationId: string }).invocationId);
  }
  return ids;
}

/** A completed Greeter/greet in each partition; their ids by partition. */
async function greetingsByPartition(c: Cluster, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const res = await c.leaderOf(p).call("/Greeter/greet", `${tag}${p}`, { "idempotency-key": idempotencyKeyIn(p, "Greeter", "greet", `${tag}${p}`) });
    expect(res.status).toBe(200);
    ids.push(res.headers.get("x-restate-id")!);
  }
  return ids;
}

describe("admin requests in a cluster of two nodes on PostgreSQL", () => {
  it("replaces an object's state through the node that does not lead its key (a JSON body, with and without /v4)", async () => {
    const c = await cluster();
    const keys = keysByPartition("Counter");
    for (let p = 0; p < PARTITIONS; p++) {
      const other = c.otherThan(c.leaderOf(p));
      const prefix = p % 2 === 0 ? "" : "/v4";
      const res = await admin(other, `${prefix}/services/Counter/state`, "POST", {
        object_key: keys[p],
        new_state: { count: [...Buffer.from(String(40 + p))] },
      });
      expect(res.status).toBe(202);
      const added = await other.call(`/Counter/${keys[p]}/add`, 1);
      expect(await added.json()).toBe(41 + p);
      // A version that does not match the state: refused when applied, the state stays.
      const stale = await admin(other, "/services/Counter/state", "POST", { version: "not-the-version", object_key: keys[p], new_state: {} });
      expect(stale.status).toBe(202);
      expect(await (await other.call(`/Counter/${keys[p]}/add`, 1)).json()).toBe(42 + p);
    }
  });

  it("kills (DELETE ?mode=kill) and restarts (PATCH restart-as-new?from=0) through the node that does not lead the invocation", async () => {
    const c = await cluster();
    const naps = await napsByPartition(c, "kill");
    const greetings = await greetingsByPartition(c, "again");
    for (let p = 0; p < PARTITIONS; p++) {
      const other = c.otherThan(c.leaderOf(p));
      expect((await admin(other, `/invocations/${naps[p]}?mode=kill`, "DELETE")).status).toBe(202);
      expect(await invocation(other, naps[p]!)).toMatchObject({ status: "completed", completion_result: "failure" });

      const restarted = await admin(other, `/invocations/${greetings[p]}/restart-as-new?from=0`, "PATCH");
      expect(restarted.status).toBe(200);
      const { new_invocation_id: newId } = (await restarted.json()) as { new_invocation_id: string };
      expect(partitionOfId(newId)).toBe(p);
      const attached = await fetch(`${other.node.ingressUrl}/restate/invocation/${newId}/attach`);
      expect(await attached.json()).toBe(`hello again${p}`);
      expect(runs.get(`again${p}`)).toBe(2);
    }
  });

  for (const through of ["a", "b"] as const) {
    it(`runs a batch operation over every partition through node ${through}, ids of both nodes in request order`, async () => {
      const c = await cluster();
      const node = c[through];
      const naps = await napsByPartition(c, `batch-${through}`);
      // Never invoked: a name in a partition the other node leads.
      const otherPartition = [0, 1, 2, 3].find((p) => c.leaderOf(p) !== node)!;
      const unknown = derivedInvocationIdOf({
        kind: "idempotent",
        service: "Greeter",
        key: "",
        handler: "nap",
        idempotencyKey: idempotencyKeyIn(otherPartition, "Greeter", "nap", "never"),
      });
      // The second kill of naps[0] and naps[3] finds them completed, as on one node.
      const ids = [naps[3]!, naps[0]!, unknown, naps[1]!, naps[0]!, naps[2]!, naps[3]!];
      const res = await admin(node, "/internal/invocations_batch_operations/kill", "POST", { invocation_ids: ids });
      expect(res.status).toBe(200);
      const result = (await res.json()) as { succeeded: string[]; failed: Array<{ invocation_id: string; error: string }> };
      expect(result.succeeded).toEqual([naps[3], naps[0], naps[1], naps[2]]);
      expect(result.failed.map((f) => f.invocation_id)).toEqual([unknown, naps[0], naps[3]]);
      expect(result.failed[0]!.error).toMatch(/not found/i);
      expect(result.failed[1]!.error).toMatch(/completed/i);
      for (const id of naps) expect(await invocation(c.a, id)).toMatchObject({ status: "completed", completion_result: "failure" });

      // restart-as-new answers with pairs: each new invocation in its original's partition.
      const greetings = await greetingsByPartition(c, `batch-${through}`);
      const restarted = await admin(node, "/internal/invocations_batch_operations/restart-as-new", "POST", { invocation_ids: greetings, deployment: "latest" });
      const pairs = ((await restarted.json()) as { succeeded: Array<{ old_invocation_id: string; new_invocation_id: string }> }).succeeded;
      expect(pairs.map((r) => r.old_invocation_id)).toEqual(greetings);
      expect(pairs.map((r) => partitionOfId(r.new_invocation_id))).toEqual([0, 1, 2, 3]);
    });
  }

  it("names the caller of an invocation whose caller lives in a partition the other node leads", async () => {
    const c = await cluster();
    const keys = keysByPartition("Callee");
    const callerPartition = [0, 1, 2, 3].find((p) => c.leaderOf(p) === c.a)!;
    const calleePartition = [0, 1, 2, 3].find((p) => c.leaderOf(p) === c.b)!;
    // The call goes from a partition A leads to one B leads, and its result back (shared outbox).
    const res = await c.a.call("/Relay/relay", keys[calleePartition], { "idempotency-key": idempotencyKeyIn(callerPartition, "Relay", "relay", "relay") });
    expect(res.status).toBe(200);
    const { caller, callee: calleeId } = (await res.json()) as { caller: string; callee: string };
    expect(partitionOfId(caller)).toBe(callerPartition);
    expect(partitionOfId(calleeId)).toBe(calleePartition);
    for (const node of [c.a, c.b]) {
      expect(await invocation(node, calleeId)).toMatchObject({ id: calleeId, invoked_by_id: caller, invoked_by_target: "Relay/relay" });
    }
  });
});
