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
  it("reads back what it wrote: deployments oldest first, services in manifest order, overrides by service", () => {
    const { sdkVersion: _none, ...older } = deployment("http://b:9080/", 1_000, [
      { definition: greeter, revision: 1 },
      { definition: counter, revision: 1 },
    ]);
    const newer = deployment("http://a:9080/", 2_000, [{ definition: greeter, revision: 2 }]);
    store.write({ putDeployments: [newer, older], setOverrides: new Map([["Greeter", { public: false, journalRetentionMs: 60_000 }]]) });

    const contents = store.read();
    expect(contents.deployments).toEqual([older, newer]);
    expect(contents.deployments[0]).not.toHaveProperty("sdkVersion");
    expect(contents.overrides).toEqual(new Map([["Greeter", { public: false, journalRetentionMs: 60_000 }]]));
    // Another store on the same database (a restart) reads the same.
    expect(new SqliteRegistryStore(db).read()).toEqual(contents);
  });

  it("overwrites a deployment by id: given services replace the stored ones, absent services stay", () => {
    const original = deployment("http://a:9080/", 1_000, [
      { definition: greeter, revision: 1 },
      { definition: counter, revision: 1 },
    ]);
    store.write({ putDeployments: [original] });

    const { services: _kept, ...moved } = { ...original, uri: "http://b:9080/", httpVersion: 1 as const, additionalHeaders: {} };
    store.write({ putDeployments: [moved] });
    expect(store.read().deployments).toEqual([{ ...moved, services: original.services }]);

    const replaced = deployment("http://b:9080/", 3_000, [{ definition: counter, revision: 2 }], original.id);
    store.write({ putDeployments: [replaced] });
    expect(store.read().deployments).toEqual([replaced]);
    expect(serviceRows()).toBe(1);
  });

  it("deletes deployments with their services, then drops the overrides of services no deployment provides", () => {
    const a = deployment("http://a:9080/", 1_000, [{ definition: greeter, revision: 1 }]);
    const b = deployment("http://b:9080/", 2_000, [{ definition: counter, revision: 1 }]);
    const overrides = new Map([
      ["Greeter", { public: false }],
      ["Counter", { abortTimeoutMs: 5_000 }],
    ]);
    store.write({ putDeployments: [a, b], setOverrides: overrides });

    store.write({ deleteDeployments: [a.id] });
    expect(store.read()).toEqual({ deployments: [b], overrides });
    expect(serviceRows()).toBe(1);

    store.write({ dropOrphanOverrides: true });
    expect(store.read().overrides).toEqual(new Map([["Counter", { abortTimeoutMs: 5_000 }]]));
  });

  it("stores nothing of a change whose later part fails", () => {
    const a = deployment("http://a:9080/", 1_000, [{ definition: greeter, revision: 1 }]);
    store.write({ putDeployments: [a] });
    const before: RegistryContents = store.read();

    const b = deployment("http://b:9080/", 2_000, [{ definition: counter, revision: 1 }]);
    const sameUri = deployment("http://b:9080/", 3_000, [{ definition: greeter, revision: 2 }]);
    const change = () =>
      store.write({
        deleteDeployments: [a.id],
        putDeployments: [b, sameUri],
        setOverrides: new Map([["Counter", { public: false }]]),
        dropOrphanOverrides: true,
      });

    expect(change).toThrow(/UNIQUE constraint failed: registry_deployments\.uri/);
    expect(store.read()).toEqual(before);
    expect(serviceRows()).toBe(1);
  });

  it("reads an empty registry from a new database, and a damaged overrides row as no overrides", () => {
    expect(store.read()).toEqual({ deployments: [], overrides: new Map() });
    db.prepare("INSERT INTO registry_service_overrides (name, overrides) VALUES ('Greeter', 'not json')").run();
    expect(store.read().overrides).toEqual(new Map([["Greeter", {}]]));
  });
});
