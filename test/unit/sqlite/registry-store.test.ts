import BetterSqlite3, { type Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newDeploymentId } from "../../../protocol/ids.js";
import type { ServiceManifest } from "../../../protocol/manifest.js";
import type { DeploymentRecord, RegistryContents } from "../../../server/registry/index.js";
import { SqliteRegistryStore } from "../../../sqlite/registry/sqlite-registry-store.js";

// Plain SQLite, foreign keys off: removing a deployment must remove its services without the cascade.
let db: Database;
let store: SqliteRegistryStore;

beforeEach(() => {
  db = new BetterSqlite3(":memory:");
  store = new SqliteRegistryStore(db);
});

afterEach(() => db.close());

const greeter: ServiceManifest = { name: "Greeter", ty: "SERVICE", handlers: [{ name: "greet", inactivityTimeout: 1000 }] };
const counter: ServiceManifest = { name: "Counter", ty: "VIRTUAL_OBJECT", handlers: [{ name: "add" }, { name: "get", ty: "SHARED" }] };

function deployment(uri: string, createdAt: number, services: { definition: ServiceManifest; revision: number }[], id = newDeploymentId()): DeploymentRecord {
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

const serviceRows = () => (db.prepare("SELECT count(*) AS n FROM registry_services").get() as { n: number }).n;

describe("SqliteRegistryStore", () => {
  it("reads back what it wrote: deployments oldest first, services in manifest order, overrides by service", async () => {
    const { sdkVersion: _none, ...older } = deployment("http://b:9080/", 1_000, [
      { definition: greeter, revision: 1 },
      { definition: counter, revision: 1 },
    ]);
    const newer = deployment("http://a:9080/", 2_000, [{ definition: greeter, revision: 2 }]);
    await store.write({ putDeployments: [newer, older], setOverrides: new Map([["Greeter", { public: false, journalRetentionMs: 60_000 }]]) });

    const contents = await store.read();
    expect(contents.version).toBe(1);
    expect(contents.deployments).toEqual([older, newer]);
    expect(contents.deployments[0]).not.toHaveProperty("sdkVersion");
    expect(contents.overrides).toEqual(new Map([["Greeter", { public: false, journalRetentionMs: 60_000 }]]));
    // Another store on the same database (a restart) reads the same.
    expect(await new SqliteRegistryStore(db).read()).toEqual(contents);
  });

  it("overwrites a deployment by id: given services replace the stored ones, absent services stay", async () => {
    const original = deployment("http://a:9080/", 1_000, [
      { definition: greeter, revision: 1 },
      { definition: counter, revision: 1 },
    ]);
    await store.write({ putDeployments: [original] });

    const { services: _kept, ...moved } = { ...original, uri: "http://b:9080/", httpVersion: 1 as const, additionalHeaders: {} };
    await store.write({ putDeployments: [moved] });
    expect((await store.read()).deployments).toEqual([{ ...moved, services: original.services }]);

    const replaced = deployment("http://b:9080/", 3_000, [{ definition: counter, revision: 2 }], original.id);
    await store.write({ putDeployments: [replaced] });
    expect((await store.read()).deployments).toEqual([replaced]);
    expect(serviceRows()).toBe(1);
  });

  it("deletes deployments with their services, then drops the overrides of services no deployment provides", async () => {
    const a = deployment("http://a:9080/", 1_000, [{ definition: greeter, revision: 1 }]);
    const b = deployment("http://b:9080/", 2_000, [{ definition: counter, revision: 1 }]);
    const overrides = new Map([
      ["Greeter", { public: false }],
      ["Counter", { abortTimeoutMs: 5_000 }],
    ]);
    await store.write({ putDeployments: [a, b], setOverrides: overrides });

    await store.write({ deleteDeployments: [a.id] });
    expect(await store.read()).toEqual({ deployments: [b], overrides, version: 2 });
    expect(serviceRows()).toBe(1);

    await store.write({ dropOrphanOverrides: true });
    expect((await store.read()).overrides).toEqual(new Map([["Counter", { abortTimeoutMs: 5_000 }]]));
  });

  it("stores nothing of a change whose later part fails", async () => {
    const a = deployment("http://a:9080/", 1_000, [{ definition: greeter, revision: 1 }]);
    await store.write({ putDeployments: [a] });
    const before: RegistryContents = await store.read();

    const b = deployment("http://b:9080/", 2_000, [{ definition: counter, revision: 1 }]);
    const sameUri = deployment("http://b:9080/", 3_000, [{ definition: greeter, revision: 2 }]);
    const change = store.write({
      deleteDeployments: [a.id],
      putDeployments: [b, sameUri],
      setOverrides: new Map([["Counter", { public: false }]]),
      dropOrphanOverrides: true,
    });

    await expect(change).rejects.toThrow(/UNIQUE constraint failed: registry_deployments\.uri/);
    // The version too: another node must not reload for a change that did not happen.
    expect(await store.read()).toEqual(before);
    expect(serviceRows()).toBe(1);
  });

  it("reads an empty registry from a new database, and a damaged overrides row as no overrides", async () => {
    expect(await store.read()).toEqual({ deployments: [], overrides: new Map(), version: 0 });
    db.prepare("INSERT INTO registry_service_overrides (name, overrides) VALUES ('Greeter', 'not json')").run();
    expect((await store.read()).overrides).toEqual(new Map([["Greeter", {}]]));
  });

  it("bumps its version with every write, and stores a change made at a version only while the store is still at it", async () => {
    const a = deployment("http://a:9080/", 1_000, [{ definition: greeter, revision: 1 }]);
    const b = deployment("http://b:9080/", 2_000, [{ definition: greeter, revision: 2 }]);
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

  it("has stored a write before its promise is awaited: SQLite settles at once", () => {
    void store.write({ putDeployments: [deployment("http://a:9080/", 1_000, [{ definition: greeter, revision: 1 }])] });
    expect(serviceRows()).toBe(1);
  });
});
