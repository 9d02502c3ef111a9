import { describe, expect, it, vi } from "vitest";
import type { DeploymentId, ServiceManifest } from "../../../protocol/index.js";
import { PgRegistryStore, PostgresDatabase } from "../../../postgres/index.js";
import { DeploymentRegistry } from "../../../server/registry/index.js";
import { usePostgres } from "../../helpers/postgres.js";
import { discovered } from "../server/registry/registry-fixtures.js";
import { storedDeployment } from "../storage/registry-store-contract.js";

// What every registry store does is in test/unit/storage/registry-store-contract.ts; here is what only
// a store shared over the network by several nodes must get right: writes that really race, reads that
// overlap writes, and a database created with a collation other than the bytewise one.
const postgres = usePostgres();

interface Node {
  readonly name: string;
  readonly db: PostgresDatabase;
  readonly store: PgRegistryStore;
}

/** One stet node's view of the cluster's database: a pool of its own, named in pg_stat_activity. */
async function node(name: string, url?: string): Promise<Node> {
  const db = await postgres.connect({ applicationName: name, ...(url === undefined ? {} : { url }) });
  return { name, db, store: await PgRegistryStore.open(db) };
}

/** Waits until `count` sessions of `names` wait for a lock: their statements have reached the row or table. */
async function waitingForLock(db: PostgresDatabase, names: readonly string[], count: number): Promise<void> {
  await vi.waitFor(
    async () => {
      const waiting = await db.query("SELECT 1 FROM pg_stat_activity WHERE application_name = ANY ($1) AND wait_event_type = 'Lock'", [names]);
      expect(waiting.rowCount).toBe(count);
    },
    { timeout: 5_000, interval: 20 },
  );
}

const greeter: ServiceManifest = { name: "Greeter", ty: "SERVICE", handlers: [{ name: "greet" }] };
const counter: ServiceManifest = { name: "Counter", ty: "VIRTUAL_OBJECT", handlers: [{ name: "add" }] };

const deployment = (uri: string, id?: DeploymentId) => storedDeployment(uri, 1_000, [{ definition: greeter, revision: 1 }], id);

describe("PgRegistryStore: nodes sharing one database", () => {
  it("of two nodes that decided on the same version and write at the same moment, stores exactly one", async () => {
    // Started together: the registry's tables are created once.
    const [a, b, holder] = await Promise.all([node("node-a"), node("node-b"), node("holder")]);
    const ofA = deployment("http://a:9080/");
    const ofB = deployment("http://b:9080/");
    let writes: Promise<boolean[]> | undefined;
    // A third session holds the version row, so that both writes are in flight and queued on it when it
    // lets go: each must then find out, inside its own transaction, whether the other moved the version.
    await holder.db.transaction(async (client) => {
      await client.query("SELECT version FROM registry_version FOR UPDATE");
      writes = Promise.all([a.store.write({ putDeployments: [ofA], ifVersion: 0 }), b.store.write({ putDeployments: [ofB], ifVersion: 0 })]);
      await waitingForLock(holder.db, ["node-a", "node-b"], 2);
    });

    const stored = await writes!;
    expect(stored.filter(Boolean)).toHaveLength(1);
    expect(await b.store.read()).toEqual({ deployments: [stored[0] ? ofA : ofB], overrides: new Map(), version: 1 });
  });

  it("reads one snapshot: a write that commits between the read's statements is not seen, not even in part", async () => {
    const [a, b] = await Promise.all([node("node-a"), node("node-b")]);
    const first = deployment("http://a:9080/");
    await a.store.write({ putDeployments: [first], setOverrides: new Map([["Greeter", { public: false }]]) });
    const before = await a.store.read();

    let read: Promise<unknown> | undefined;
    // The other node's write commits while the read, having read the version and the services, waits
    // for the deployments table: under READ COMMITTED it would see the deployment gone but its services
    // and the old version still there.
    await b.db.transaction(async (client) => {
      await client.query("LOCK TABLE registry_deployments IN ACCESS EXCLUSIVE MODE");
      read = a.store.read();
      await waitingForLock(b.db, ["node-a"], 1);
      await client.query("UPDATE registry_version SET version = version + 1");
      await client.query("DELETE FROM registry_deployments WHERE id = $1", [first.id]);
    });

    expect(await read).toEqual(before);
    expect(await a.store.read()).toEqual({ deployments: [], overrides: before.overrides, version: 2 });
  });

  it("orders the deployments of one millisecond by the bytes of their ids, on a database created with a language's collation", async () => {
    const admin = await postgres.connect();
    // en-US sorts "dp_a" before "dp_B"; SQLite, and so every node on either store, the other way.
    await admin.query("CREATE DATABASE stet_icu TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'");
    const a = await node("node-a", postgres.server.url("stet_icu"));
    const [lower, upper] = ["dp_a", "dp_B"].map((prefix) => `${prefix}${"0".repeat(20)}` as DeploymentId);
    expect((await a.db.query("SELECT $1 < $2 AS before", [lower, upper])).rows[0]?.before).toBe(true);

    await a.store.write({ putDeployments: [deployment("http://a:9080/", lower), deployment("http://b:9080/", upper)] });
    expect((await a.store.read()).deployments.map((d) => d.id)).toEqual([upper, lower]);
  });
});

describe("DeploymentRegistry on PostgreSQL, one per node", () => {
  it("sees what the other node registered, changed and removed once refresh() reloads", async () => {
    const a = await DeploymentRegistry.open((await node("node-a")).store);
    const b = await DeploymentRegistry.open((await node("node-b")).store);

    const { deployment: registered } = await a.register(discovered("http://a:9080", [greeter]));
    expect(b.resolveHandler("Greeter", "greet")).toBeNull();
    expect(await b.refresh()).toBe(true);
    expect(b.resolveHandler("Greeter", "greet")?.deployment.id).toBe(registered.id);

    await b.modifyService("Greeter", { public: false });
    expect(await a.refresh()).toBe(true);
    expect(a.resolveHandler("Greeter", "greet")?.public).toBe(false);
    expect(await a.refresh()).toBe(false);

    await b.removeDeployment(registered.id, { force: true });
    expect(await a.refresh()).toBe(true);
    expect(a.getService("Greeter")).toBeUndefined();
  });

  it("keeps both of two registrations made at once through two nodes, at consecutive revisions", async () => {
    const [nodeA, nodeB] = await Promise.all([node("node-a"), node("node-b")]);
    const [a, b] = await Promise.all([DeploymentRegistry.open(nodeA.store), DeploymentRegistry.open(nodeB.store)]);

    const [first, second] = await Promise.all([
      a.register(discovered("http://a:9080", [greeter])),
      b.register(discovered("http://b:9080", [greeter, counter])),
    ]);

    // Whichever stored second decided again on what the first stored.
    expect([first.deployment.services[0]!.revision, second.deployment.services[0]!.revision].sort()).toEqual([1, 2]);
    await Promise.all([a.refresh(), b.refresh()]);
    for (const registry of [a, b]) {
      expect(registry.getService("Greeter")?.revision).toBe(2);
      expect(registry.getService("Counter")?.deploymentId).toBe(second.deployment.id);
      expect(registry.listDeployments()).toHaveLength(2);
    }
  });
});
