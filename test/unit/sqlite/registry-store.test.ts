import BetterSqlite3, { type Database } from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteRegistryStore } from "../../../sqlite/registry/sqlite-registry-store.js";
import { storedDeployment } from "../storage/registry-store-contract.js";

// What every registry store must do is in test/unit/storage/registry-store-contract.ts; here is what
// only SQLite does.
let db: Database;
let store: SqliteRegistryStore;

beforeEach(() => {
  db = new BetterSqlite3(":memory:");
  store = new SqliteRegistryStore(db);
});

afterEach(() => db.close());

describe("SqliteRegistryStore", () => {
  it("reads an overrides row that is not JSON as no overrides (a text column takes anything)", async () => {
    db.prepare("INSERT INTO registry_service_overrides (name, overrides) VALUES ('Greeter', 'not json')").run();
    expect((await store.read()).overrides).toEqual(new Map([["Greeter", {}]]));
  });

  it("has stored a write before its promise is awaited: SQLite settles at once", () => {
    const greeter = { name: "Greeter", ty: "SERVICE", handlers: [{ name: "greet" }] } as const;
    void store.write({ putDeployments: [storedDeployment("http://a:9080/", 1_000, [{ definition: greeter, revision: 1 }])] });
    expect((db.prepare("SELECT count(*) AS n FROM registry_services").get() as { n: number }).n).toBe(1);
  });
});
