import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ServiceManifest } from "../../../../protocol/manifest.js";
import { DeploymentRegistry, type RegistryStore } from "../../../../server/registry/index.js";
import { sqliteRegistryFile } from "../../../helpers/registry.js";
import { discovered } from "./registry-fixtures.js";

// Cluster mode shares one registry store between nodes (issue 15): each node's registry keeps its own
// snapshot, reloads it on refresh(), and must not overwrite another node's change with a stale decision.
// On one node, mutations arrive concurrently from admin requests and must not lose each other's writes.

let file: ReturnType<typeof sqliteRegistryFile>;

beforeEach(() => {
  file = sqliteRegistryFile();
});

afterEach(() => file.remove());

const greeter: ServiceManifest = { name: "Greeter", ty: "SERVICE", handlers: [{ name: "greet" }] };
const counter: ServiceManifest = { name: "Counter", ty: "VIRTUAL_OBJECT", handlers: [{ name: "add" }] };

/**
 * The real SQLite store as a network database answers: each call is logged when made and runs a turn
 * of the event loop later. `failNextWrite` makes the next write reject without storing anything.
 */
function overTheNetwork(store: RegistryStore): RegistryStore & { readonly calls: string[]; failNextWrite: boolean } {
  const calls: string[] = [];
  const later = <T>(name: string, work: () => Promise<T>): Promise<T> => {
    calls.push(name);
    return new Promise<void>((resolve) => setImmediate(resolve)).then(work);
  };
  const slow = {
    calls,
    failNextWrite: false,
    read: () => later("read", () => store.read()),
    version: () => later("version", () => store.version()),
    write: (change: Parameters<RegistryStore["write"]>[0]) =>
      later("write", () => {
        if (!slow.failNextWrite) return store.write(change);
        slow.failNextWrite = false;
        return Promise.reject(new Error("connection reset (simulated)"));
      }),
  };
  return slow;
}

describe("DeploymentRegistry on a store shared by two nodes", () => {
  it("sees the other node's changes once refresh() reloads, and keeps its snapshot when nothing changed", async () => {
    const a = (await file.open()).registry;
    const b = (await file.open()).registry;

    const { deployment } = await a.register(discovered("http://a:9080", [greeter]));
    expect(b.resolveHandler("Greeter", "greet")).toBeNull();
    expect(await b.refresh()).toBe(true);
    expect(b.resolveHandler("Greeter", "greet")?.deployment.id).toBe(deployment.id);

    await b.modifyService("Greeter", { public: false });
    expect(a.resolveHandler("Greeter", "greet")?.public).toBe(true);
    expect(await a.refresh()).toBe(true);
    expect(a.resolveHandler("Greeter", "greet")?.public).toBe(false);

    // Unchanged: the same resolved handler, so what the views derived from it stays valid.
    const resolved = a.resolveHandler("Greeter", "greet");
    expect(await a.refresh()).toBe(false);
    expect(a.resolveHandler("Greeter", "greet")).toBe(resolved);

    await b.removeDeployment(deployment.id, { force: true });
    // Calls made while a refresh waits share it.
    const refreshed = a.refresh();
    expect(a.refresh()).toBe(refreshed);
    expect(await refreshed).toBe(true);
    expect(a.getService("Greeter")).toBeUndefined();
  });

  it("decides again on what the other node stored when its own snapshot was stale", async () => {
    const a = (await file.open()).registry;
    const b = (await file.open()).registry;
    await a.register(discovered("http://a:9080", [greeter]));

    // b has not refreshed: it would give Greeter revision 1 a second time.
    const second = await b.register(discovered("http://b:9080", [greeter]));
    expect(second.deployment.services[0]!.revision).toBe(2);
    // It registers the uri a registered: the stored deployment, unchanged.
    expect((await b.register(discovered("http://a:9080", [greeter]))).outcome).toBe("unchanged");

    // a is stale now: its patch is merged over b's, not over what a last read.
    await b.modifyService("Greeter", { journalRetentionMs: 60_000 });
    await a.modifyService("Greeter", { public: false });
    await b.refresh();
    expect(b.getServiceOverrides("Greeter")).toEqual({ journalRetentionMs: 60_000, public: false });
    expect(b.listDeployments().map((d) => d.uri)).toEqual(["http://a:9080/", "http://b:9080/"]);
  });
});

describe("DeploymentRegistry with concurrent mutations", () => {
  it("keeps both of two registrations made at once, at consecutive revisions", async () => {
    const { registry } = await file.open();
    const [first, second] = await Promise.all([
      registry.register(discovered("http://a:9080", [greeter])),
      registry.register(discovered("http://b:9080", [greeter, counter])),
    ]);

    expect([first.deployment.services[0]!.revision, second.deployment.services[0]!.revision]).toEqual([1, 2]);
    expect(registry.getService("Greeter")?.deploymentId).toBe(second.deployment.id);
    const reopened = (await file.open()).registry;
    expect(reopened.listDeployments().map((d) => d.id)).toEqual([first.deployment.id, second.deployment.id]);
  });

  it("writes and reloads one mutation at a time, in call order, when the store answers later", async () => {
    const store = overTheNetwork((await file.open()).store);
    const registry = await DeploymentRegistry.open(store);
    store.calls.length = 0;

    const registered = registry.register(discovered("http://a:9080", [greeter]));
    const modified = registry.modifyService("Greeter", { public: false });
    const another = registry.register(discovered("http://b:9080", [greeter, counter]));
    const refreshed = registry.refresh();
    await Promise.all([registered, modified, another]);

    expect(store.calls).toEqual(["write", "read", "write", "read", "write", "read", "version"]);
    expect(await refreshed).toBe(false);
    expect(registry.getService("Greeter")).toMatchObject({ revision: 2, deploymentId: (await another).deployment.id });
    expect(registry.resolveHandler("Greeter", "greet")?.public).toBe(false);
    expect(registry.listDeployments()).toHaveLength(2);
  });

  it("goes on with the next mutation after one whose write failed", async () => {
    const store = overTheNetwork((await file.open()).store);
    const registry = await DeploymentRegistry.open(store);

    store.failNextWrite = true;
    const failed = registry.register(discovered("http://a:9080", [greeter]));
    const next = registry.register(discovered("http://b:9080", [greeter]));

    await expect(failed).rejects.toThrow("connection reset (simulated)");
    expect((await next).deployment.services[0]!.revision).toBe(1);
    expect(registry.listDeployments().map((d) => d.uri)).toEqual(["http://b:9080/"]);
  });
});
