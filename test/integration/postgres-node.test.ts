import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { usePostgres } from "../helpers/postgres.js";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";
import { counter } from "../helpers/counter.js";

// One stet node on PostgreSQL (cluster mode's store): everything that must survive lives in the
// database, so a node replaced by a fresh one on an empty data folder loses nothing.

const pg = usePostgres();

const napper = restate.service({
  name: "Napper",
  handlers: {
    nap: async (ctx: restate.Context, ms: number) => {
      const before = await ctx.run("before", () => "ran");
      await ctx.sleep(ms);
      return `${before} and woke`;
    },
  },
});

const started: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.close();
});

async function node(): Promise<TestStet> {
  const stet = await startTestStet({ store: pg.url, partitions: 4 });
  started.push(stet);
  return stet;
}

async function endpoint(): Promise<TestEndpoint> {
  const e = await startEndpoint([counter, napper], { http: 2 });
  started.push(e);
  return e;
}

describe("a stet node on PostgreSQL", () => {
  it("runs services, objects and timers with its state in the database", async () => {
    const service = await endpoint();
    const stet = await node();
    await stet.register(service.url);
    expect(await (await stet.call("/Counter/a/add", 2)).json()).toBe(2);
    expect(await (await stet.call("/Counter/a/add", 3)).json()).toBe(5);
    expect(await (await stet.call("/Napper/nap", 50)).json()).toBe("ran and woke");
    expect(stet.node.partitions.partitionCount).toBe(4);
  });

  it("is replaced by a fresh node on an empty data folder without losing state, timers or the registry", async () => {
    const service = await endpoint();
    const first = await node();
    await first.register(service.url);
    expect(await (await first.call("/Counter/k/add", 7)).json()).toBe(7);
    const sent = (await (await first.call("/Napper/nap/send", 1500, { "idempotency-key": "nap-1" })).json()) as { invocationId: string };
    await first.waitFor((e) => e.type === "attempt-started" && e.invocationId === sent.invocationId);
    await first.close();
    started.splice(started.indexOf(first), 1);

    // Another node, its own new data folder: the deployment, the object's state and the sleeping
    // invocation are all found in the database.
    const second = await node();
    expect(second.dataDir).not.toBe(first.dataDir);
    expect(await (await second.call("/Counter/k/add", 1)).json()).toBe(8);
    const attached = await fetch(`${second.node.ingressUrl}/restate/invocation/${sent.invocationId}/attach`);
    expect(await attached.json()).toBe("ran and woke");
  });

  it("refuses a partition count other than the cluster's, naming both", async () => {
    const stet = await node();
    await stet.close();
    started.splice(started.indexOf(stet), 1);
    await expect(startTestStet({ store: pg.url, partitions: 8 })).rejects.toMatchObject({
      code: "STET_CLUSTER_PARTITIONS_MISMATCH",
      message: expect.stringMatching(/4.*8|8.*4/),
    });
  });

  it("answers POST /query from the cluster's tables", async () => {
    const service = await endpoint();
    const stet = await node();
    await stet.register(service.url);
    expect(await (await stet.call("/Counter/q/add", 4)).json()).toBe(4);
    const res = await fetch(`${stet.node.adminUrl}/query`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: "SELECT s.key, s.value_utf8, i.target, i.status FROM state s JOIN sys_invocation i ON i.target_service_key = s.service_key" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({ rows: [{ key: "count", value_utf8: "4", target: "Counter/q/add", status: "completed" }] });
  });
});
