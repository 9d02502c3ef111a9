import { expect, it } from "vitest";
import { newDeploymentId } from "../../../protocol/ids.js";
import type { DeploymentId } from "../../../protocol/index.js";
import type { ServiceManifest } from "../../../protocol/manifest.js";
import type { DeploymentRecord, RegistryContents, RegistryStore } from "../../../server/registry/index.js";

/** A registry store of one kind, on a database of its own for the current test. */
export interface RegistryStoreUnderTest {
  readonly store: RegistryStore;
  /** Another store on the same database: the same node restarted, or a second node of a cluster. */
  another(): Promise<RegistryStore>;
  /** Runs `sql` on the database beside the store; the scenarios send SQL both dialects accept. */
  exec(sql: string): Promise<void>;
  /** The rows of `table`. */
  count(table: string): Promise<number>;
  /** What the store's error says when a change gives a deployment a uri another one has. */
  readonly uriTaken: RegExp;
}

export interface RegistryStoreKind {
  /** A store on a new, empty database, closed after the test. Called inside a test. */
  open(): Promise<RegistryStoreUnderTest>;
}

const greeter: ServiceManifest = { name: "Greeter", ty: "SERVICE", handlers: [{ name: "greet", inactivityTimeout: 1000 }] };
const counter: ServiceManifest = { name: "Counter", ty: "VIRTUAL_OBJECT", handlers: [{ name: "add" }, { name: "get", ty: "SHARED" }] };

/** A deployment as the registry stores it, providing each of `services` at its revision. */
export function storedDeployment(
  uri: string,
  createdAt: number,
  services: { definition: ServiceManifest; revision: number }[],
  id = newDeploymentId(),
): DeploymentRecord {
  return {
    id,
    uri,
    protocolMode: "BIDI_STREAM",
    httpVersion: 2,
    minProtocolVersion: 5,
    maxProtocolVersion: 7,
    additionalHeaders: { authorization: "Bearer t" },
    manifestVersion: 4,
    sdkVersion: "restate-sdk-typescript/1.17.2",
    metadata: { team: "t" },
    createdAt,
    services: services.map(({ definition, revision }) => ({ name: definition.name, ty: definition.ty, revision, deploymentId: id, definition })),
  };
}

/**
 * What every `RegistryStore` must do (server/registry/registry-store.ts), whatever holds the rows: call
 * inside a `describe` per kind of store. A store of another kind passes these before the registry uses it.
 */
export function registryStoreContract(kind: RegistryStoreKind): void {
  it("reads back what it wrote: deployments oldest first, services in manifest order, overrides by service", async () => {
    const { store, another } = await kind.open();
    const { sdkVersion: _none, ...older } = storedDeployment("http://b:9080/", 1_000, [
      { definition: greeter, revision: 1 },
      { definition: counter, revision: 1 },
    ]);
    const newer = storedDeployment("http://a:9080/", 2_000, [{ definition: greeter, revision: 2 }]);
    await store.write({ putDeployments: [newer, older], setOverrides: new Map([["Greeter", { public: false, journalRetentionMs: 60_000 }]]) });

    const contents = await store.read();
    expect(contents.version).toBe(1);
    expect(contents.deployments).toEqual([older, newer]);
    expect(contents.deployments[0]).not.toHaveProperty("sdkVersion");
    expect(contents.overrides).toEqual(new Map([["Greeter", { public: false, journalRetentionMs: 60_000 }]]));
    // Another store on the same database (a restart, another node) reads the same.
    expect(await (await another()).read()).toEqual(contents);
  });

  it("orders deployments registered at the same millisecond by id, byte by byte", async () => {
    const { store } = await kind.open();
    // Upper case sorts before lower case in bytes, after it in most human collations.
    const ids = ["dp_b", "dp_B", "dp_a", "dp_A"].map((suffix) => `${suffix}${"0".repeat(20)}` as DeploymentId);
    await store.write({ putDeployments: ids.map((id, i) => storedDeployment(`http://${i}:9080/`, 1_000, [], id)) });
    expect((await store.read()).deployments.map((d) => d.id)).toEqual([ids[3], ids[1], ids[2], ids[0]]);
  });

  it("overwrites a deployment by id: given services replace the stored ones, absent services stay", async () => {
    const { store, count } = await kind.open();
    const original = storedDeployment("http://a:9080/", 1_000, [
      { definition: greeter, revision: 1 },
      { definition: counter, revision: 1 },
    ]);
    await store.write({ putDeployments: [original] });

    const { services: _kept, ...moved } = { ...original, uri: "http://b:9080/", httpVersion: 1 as const, additionalHeaders: {} };
    await store.write({ putDeployments: [moved] });
    expect((await store.read()).deployments).toEqual([{ ...moved, services: original.services }]);

    const replaced = storedDeployment("http://b:9080/", 3_000, [{ definition: counter, revision: 2 }], original.id);
    await store.write({ putDeployments: [replaced] });
    expect((await store.read()).deployments).toEqual([replaced]);
    expect(await count("registry_services")).toBe(1);

    await store.write({ putDeployments: [{ ...replaced, services: [] }] });
    expect((await store.read()).deployments).toEqual([{ ...replaced, services: [] }]);
    expect(await count("registry_services")).toBe(0);
  });

  it("deletes deployments with their services, then drops the overrides of services no deployment provides", async () => {
    const { store, count } = await kind.open();
    const a = storedDeployment("http://a:9080/", 1_000, [{ definition: greeter, revision: 1 }]);
    const b = storedDeployment("http://b:9080/", 2_000, [{ definition: counter, revision: 1 }]);
    const overrides = new Map([
      ["Greeter", { public: false }],
      ["Counter", { abortTimeoutMs: 5_000 }],
    ]);
    await store.write({ putDeployments: [a, b], setOverrides: overrides });

    await store.write({ deleteDeployments: [a.id] });
    expect(await store.read()).toEqual({ deployments: [b], overrides, version: 2 });
    expect(await count("registry_services")).toBe(1);

    await store.write({ dropOrphanOverrides: true });
    expect((await store.read()).overrides).toEqual(new Map([["Counter", { abortTimeoutMs: 5_000 }]]));
  });

  it("applies a change's parts in the order they are listed: deletes, puts, overrides, then the orphan sweep", async () => {
    const { store } = await kind.open();
    const a = storedDeployment("http://a:9080/", 1_000, [{ definition: greeter, revision: 1 }]);
    await store.write({ putDeployments: [a] });

    // The same id deleted and put again: the put is what stays. An override set for a service nobody
    // provides is swept by the same change.
    const again = storedDeployment("http://a:9080/", 2_000, [{ definition: counter, revision: 1 }], a.id);
    await store.write({
      deleteDeployments: [a.id],
      putDeployments: [again],
      setOverrides: new Map([
        ["Greeter", { public: false }],
        ["Counter", { public: false }],
      ]),
      dropOrphanOverrides: true,
    });
    expect(await store.read()).toEqual({ deployments: [again], overrides: new Map([["Counter", { public: false }]]), version: 2 });
  });

  it("stores nothing of a change whose later part fails", async () => {
    const { store, count, uriTaken } = await kind.open();
    const a = storedDeployment("http://a:9080/", 1_000, [{ definition: greeter, revision: 1 }]);
    await store.write({ putDeployments: [a] });
    const before: RegistryContents = await store.read();

    const b = storedDeployment("http://b:9080/", 2_000, [{ definition: counter, revision: 1 }]);
    const sameUri = storedDeployment("http://b:9080/", 3_000, [{ definition: greeter, revision: 2 }]);
    const change = store.write({
      deleteDeployments: [a.id],
      putDeployments: [b, sameUri],
      setOverrides: new Map([["Counter", { public: false }]]),
      dropOrphanOverrides: true,
    });

    await expect(change).rejects.toThrow(uriTaken);
    // The version too: another node must not reload for a change that did not happen.
    expect(await store.read()).toEqual(before);
    expect(await count("registry_services")).toBe(1);
  });

  it("reads an empty registry from a new database, and an overrides row of another shape as no overrides", async () => {
    const { store, exec } = await kind.open();
    expect(await store.read()).toEqual({ deployments: [], overrides: new Map(), version: 0 });
    await exec(`INSERT INTO registry_service_overrides (name, overrides) VALUES ('Greeter', '{"public": "no", "abortTimeoutMs": -1}')`);
    expect((await store.read()).overrides).toEqual(new Map([["Greeter", {}]]));
  });

  it("bumps its version with every write, and stores a change made at a version only while the store is still at it", async () => {
    const { store } = await kind.open();
    const a = storedDeployment("http://a:9080/", 1_000, [{ definition: greeter, revision: 1 }]);
    const b = storedDeployment("http://b:9080/", 2_000, [{ definition: greeter, revision: 2 }]);
    expect(await store.version()).toBe(0);
    expect(await store.write({ putDeployments: [a], ifVersion: 0 })).toBe(true);
    expect(await store.version()).toBe(1);

    // Decided on version 0, which another write has since moved past: nothing of it is stored.
    expect(await store.write({ putDeployments: [b], setOverrides: new Map([["Greeter", { public: false }]]), ifVersion: 0 })).toBe(false);
    expect(await store.read()).toEqual({ deployments: [a], overrides: new Map(), version: 1 });

    expect(await store.write({ putDeployments: [b], ifVersion: 1 })).toBe(true);
    expect(await store.write({ dropOrphanOverrides: true })).toBe(true);
    expect(await store.version()).toBe(3);
  });

  it("of two stores writing at once at the same version, stores exactly one change; unconditional writes both store", async () => {
    const { store, another } = await kind.open();
    const other = await another();
    const a = storedDeployment("http://a:9080/", 1_000, [{ definition: greeter, revision: 1 }]);
    const b = storedDeployment("http://b:9080/", 1_000, [{ definition: greeter, revision: 1 }]);

    const stored = await Promise.all([store.write({ putDeployments: [a], ifVersion: 0 }), other.write({ putDeployments: [b], ifVersion: 0 })]);
    expect(stored.filter(Boolean)).toHaveLength(1);
    const winner = stored[0] ? a : b;
    expect(await other.read()).toEqual({ deployments: [winner], overrides: new Map(), version: 1 });

    expect(await Promise.all([store.write({ deleteDeployments: [winner.id] }), other.write({ setOverrides: new Map([["Greeter", {}]]) })])).toEqual([true, true]);
    expect(await store.read()).toEqual({ deployments: [], overrides: new Map([["Greeter", {}]]), version: 3 });
  });
}
