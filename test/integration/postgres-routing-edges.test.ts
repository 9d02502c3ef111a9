import * as restate from "@restatedev/restate-sdk";
import { createServer } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { PgLeaseStore, PgNodeDirectory } from "../../postgres/index.js";
import type { Lease } from "../../partition/storage/lease-store.js";
import { eventuallyDefined, keysByPartition, leads, PARTITIONS, partitionOfId, startCluster } from "../helpers/pg-cluster.js";
import { usePostgres } from "../helpers/postgres.js";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.js";
import { startEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";
import { counter } from "../helpers/counter.js";

// Two nodes on one PostgreSQL: what routing between them does at its edges — a service registered a
// moment ago through the other node, what a forwarded request leaves in the log and the metrics, and a
// leader that does not answer.

const pg = usePostgres();

const started: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of started.splice(0).reverse()) await s.close();
});

const nodeId = (node: TestStet) => node.node.dataDir.settings.nodeId;

/** A service `name` whose handlers answer with their own name. */
const namedService = (name: string, handlers: readonly string[]) =>
  restate.service({
    name,
    handlers: Object.fromEntries(handlers.map((h) => [h, async (_ctx: restate.Context, who: string) => `${h} ${who}`])),
  });

describe("routing between two nodes on PostgreSQL, at its edges", () => {
  it("calls a service or handler registered through the other node a moment ago, and lists it in admin", async () => {
    const c = await startCluster(pg.url, [counter], started);
    // A new service: the other node has not refreshed its registry when the call comes.
    const first = await startEndpoint([namedService("Fresh", ["hello"])], { http: 2 });
    started.push(first);
    await c.a.register(first.url);
    const hello = await c.b.call("/Fresh/hello", "b");
    expect(hello.status).toBe(200);
    expect(await hello.json()).toBe("hello b");

    // A new handler of a known service (a newer revision, from another endpoint).
    const second = await startEndpoint([namedService("Fresh", ["hello", "bye"])], { http: 2 });
    started.push(second);
    await c.b.register(second.url);
    const bye = await c.a.call("/Fresh/bye", "a");
    expect(bye.status).toBe(200);
    expect(await bye.json()).toBe("bye a");

    // Admin: a lookup and the lists.
    const third = await startEndpoint([namedService("Listed", ["ping"])], { http: 2 });
    started.push(third);
    const { id } = (await c.a.register(third.url)) as { id: string };
    const service = await fetch(`${c.b.node.adminUrl}/services/Listed`);
    expect(service.status).toBe(200);
    expect(((await service.json()) as { deployment_id: string }).deployment_id).toBe(id);
    const deployments = (await (await fetch(`${c.b.node.adminUrl}/v4/deployments`)).json()) as { deployments: Array<{ id: string }> };
    expect(deployments.deployments.map((d) => d.id)).toContain(id);

    // A name nobody registered is still a 404, after the one refresh.
    const unknown = await c.b.call("/Nobody/hello", "b");
    expect(unknown.status).toBe(404);
  });

  it("runs a plain call (no key, no idempotency key) through any node, a node that leads nothing included", async () => {
    const c = await startCluster(pg.url, [namedService("Plain", ["hello"])], started);
    // Such a call may live in any partition: one the node leads, so it needs no other node.
    for (const node of [c.a, c.b]) {
      for (let i = 0; i < 8; i++) {
        const res = await node.call("/Plain/hello", `n${i}`);
        expect(res.status).toBe(200);
        expect(await res.json()).toBe(`hello n${i}`);
        expect(c.leaderOf(partitionOfId(res.headers.get("x-restate-id")!))).toBe(node);
      }
    }
    // A third node leads no partition: it passes the call on, and the leader draws a key of its own.
    const idle = await startTestStet({ store: pg.url, partitions: PARTITIONS, leaseTtlMs: 2_000 });
    started.push(idle);
    expect([0, 1, 2, 3].some((p) => leads(idle, p))).toBe(false);
    for (let i = 0; i < 8; i++) {
      const res = await idle.call("/Plain/hello", `c${i}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toBe(`hello c${i}`);
    }
  });

  it("logs each forwarded request with the node and partition it went to, and counts it by outcome", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const c = await startCluster(pg.url, [counter], started, { loggers: { b: logger } });
    const keys = keysByPartition("Counter");
    const led = { a: [] as number[], b: [] as number[] };
    for (let p = 0; p < PARTITIONS; p++) (c.leaderOf(p) === c.a ? led.a : led.b).push(p);

    for (const p of [...led.a, ...led.b]) expect((await c.b.call(`/Counter/${keys[p]}/add`, 1)).status).toBe(200);
    // An admin request for a partition the other node leads is forwarded too.
    const sent = (await (await c.a.call(`/Counter/${keys[led.a[0]!]}/add/send`, 1)).json()) as { invocationId: string };
    const adminRes = await fetch(`${c.b.node.adminUrl}/invocations/${sent.invocationId}`);
    expect(adminRes.status).toBe(200);

    const lineOf = (url: string) => eventuallyDefined(() => lines.find((l) => l["msg"] === "request completed" && l["url"] === url));
    for (const p of led.a) {
      expect(await lineOf(`/Counter/${keys[p]}/add`)).toMatchObject({ method: "POST", statusCode: 200, forwardedTo: nodeId(c.a), partition: p });
    }
    for (const p of led.b) {
      const line = await lineOf(`/Counter/${keys[p]}/add`);
      expect(line["statusCode"]).toBe(200);
      expect(line).not.toHaveProperty("forwardedTo");
    }
    expect(await lineOf(`/invocations/${sent.invocationId}`)).toMatchObject({ forwardedTo: nodeId(c.a), partition: led.a[0] });

    const metrics = async (node: TestStet) => parsePrometheusText(await (await fetch(`${node.node.adminUrl}/metrics`)).text());
    const onB = await metrics(c.b);
    expect(sampleValue(onB, "stet_forwarded_requests_total", { api: "ingress", outcome: "answered" })).toBe(led.a.length);
    expect(sampleValue(onB, "stet_forwarded_requests_total", { api: "admin", outcome: "answered" })).toBe(1);
    // The first node only served, never forwarded.
    expect(sampleValue(await metrics(c.a), "stet_forwarded_requests_total")).toBeUndefined();
  });

  it("answers 503 STET_LEADER_UNREACHABLE while the named leader does not answer, then reaches the node that took over", async () => {
    // Leader maps kept a minute: only forgetting the map after the failure lets the retry find the new leader.
    const c = await startCluster(pg.url, [counter], started, { leaderMapMaxAgeMs: 60_000 });
    const keys = keysByPartition("Counter");
    const p = 0;
    // A node that is listed as live and leads partition p, at a port where nothing listens.
    const db = await pg.connect();
    const leases = await PgLeaseStore.open(db);
    const ghostLease = await eventuallyDefined<Lease>(async () => {
      const holder = [c.a, c.b].find((n) => leads(n, p));
      if (holder !== undefined) await holder.node.partitions.stepDown(p, "test: hand to a node that is gone");
      return (await leases.acquire([p], "ghost", 60_000))[0];
    });
    const closedPort = await freePort();
    await (await PgNodeDirectory.open(db)).announce({
      nodeId: "ghost",
      ingressUrl: `http://127.0.0.1:${closedPort}`,
      adminUrl: `http://127.0.0.1:${closedPort}`,
    });

    for (const node of [c.a, c.b]) {
      const res = await node.call(`/Counter/${keys[p]}/add`, 1);
      expect(res.status).toBe(503);
      expect(res.headers.get("x-stet-error-code")).toBe("STET_LEADER_UNREACHABLE");
      expect(((await res.json()) as { message: string }).message).toMatch(/partition 0 is led by node ghost, which could not be reached .*retry later/);
      const admin = await fetch(`${node.node.adminUrl}/services/Counter/state`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ object_key: keys[p], new_state: {} }),
      });
      expect(admin.status).toBe(503);
      expect(admin.headers.get("x-stet-error-code")).toBe("STET_LEADER_UNREACHABLE");
    }
    const unreachable = sampleValue(parsePrometheusText(await (await fetch(`${c.a.node.adminUrl}/metrics`)).text()), "stet_forwarded_requests_total", {
      api: "ingress",
      outcome: "unreachable",
    });
    expect(unreachable).toBe(1);

    // The ghost's lease ends; one of the nodes takes the partition over.
    await leases.release(ghostLease);
    const leader = await eventuallyDefined(() => [c.a, c.b].find((n) => leads(n, p)));
    const other = leader === c.a ? c.b : c.a;
    const res = await other.call(`/Counter/${keys[p]}/add`, 1);
    expect(res.status).toBe(200);
    expect(await res.json()).toBe(1);
  });
});

/** A loopback port nothing listens on (bound, then closed). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
