import { describe, expect, it } from "vitest";
import { applyPgMigrations, PostgresDatabase, schemaVersion, type PgMigration } from "../../../postgres/index.js";
import { usePostgres } from "../../helpers/postgres.js";

const postgres = usePostgres();

/** Steps that leave a trace of every run in `steps_run`, and fail if run twice (CREATE TABLE without IF NOT EXISTS). */
const v1: PgMigration = {
  version: 1,
  up: async (c) => {
    await c.query("CREATE TABLE steps_run (step text NOT NULL)");
    await c.query("INSERT INTO steps_run VALUES ('v1')");
  },
};
const v2: PgMigration = {
  version: 2,
  up: async (c) => {
    await c.query("SELECT pg_sleep(0.1)"); // long enough for the other nodes to queue behind it
    await c.query("CREATE TABLE v2_table (v int)");
    await c.query("INSERT INTO steps_run VALUES ('v2')");
  },
};

const stepsRun = async (db: PostgresDatabase) => (await db.query("SELECT step FROM steps_run ORDER BY step")).rows.map((r) => r.step);

describe("applyPgMigrations", () => {
  it("applies each step once, in order, and later only the new ones", async () => {
    const db = await postgres.connect();
    expect(await schemaVersion(db, "test")).toBe(0);
    await applyPgMigrations(db, "test", [v1]);
    expect(await schemaVersion(db, "test")).toBe(1);
    await applyPgMigrations(db, "test", [v2, v1]);
    await applyPgMigrations(db, "test", [v1, v2]);
    expect(await schemaVersion(db, "test")).toBe(2);
    expect(await stepsRun(db)).toEqual(["v1", "v2"]);
  });

  it("applies each step exactly once when several nodes migrate at the same moment", async () => {
    const nodes = await Promise.all(Array.from({ length: 6 }, () => postgres.connect()));
    await Promise.all(nodes.map((db) => applyPgMigrations(db, "test", [v1, v2])));
    expect(await stepsRun(nodes[0]!)).toEqual(["v1", "v2"]);
    for (const db of nodes) expect(await schemaVersion(db, "test")).toBe(2);
  });

  it("keeps the versions of components apart", async () => {
    const db = await postgres.connect();
    await applyPgMigrations(db, "first", [v1, v2]);
    await applyPgMigrations(db, "second", [{ version: 1, up: (c) => c.query("CREATE TABLE second_table (v int)") }]);
    expect([await schemaVersion(db, "first"), await schemaVersion(db, "second")]).toEqual([2, 1]);
  });

  it("rolls a failing step back alone: the steps before it stay, the version names the last good one", async () => {
    const db = await postgres.connect();
    const broken: PgMigration = {
      version: 2,
      up: async (c) => {
        await c.query("CREATE TABLE half_done (v int)");
        await c.query("SELECT 1 / 0");
      },
    };
    await expect(applyPgMigrations(db, "test", [v1, broken])).rejects.toMatchObject({ code: "22012" });
    expect(await schemaVersion(db, "test")).toBe(1);
    expect((await db.query("SELECT to_regclass('half_done') AS t")).rows[0]).toEqual({ t: null });
    await applyPgMigrations(db, "test", [v1, v2]);
    expect(await stepsRun(db)).toEqual(["v1", "v2"]);
  });

  it("refuses a database of a newer schema than it knows, and leaves it unchanged", async () => {
    const db = await postgres.connect();
    await applyPgMigrations(db, "test", [v1, v2]);
    const error = await applyPgMigrations(db, "test", [v1]).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toMatchObject({ code: "STET_SCHEMA_TOO_NEW", name: "SchemaTooNewError" });
    expect(error?.message).toContain("database holds test schema version 2, but this stet knows versions up to 1");
    expect(await schemaVersion(db, "test")).toBe(2);
    expect(await stepsRun(db)).toEqual(["v1", "v2"]);
  });

  it("refuses steps without distinct positive versions", async () => {
    const db = await postgres.connect();
    await expect(applyPgMigrations(db, "test", [v1, { ...v2, version: 1 }])).rejects.toMatchObject({ code: "STET_STORE_INVALID_ARGUMENT" });
    await expect(applyPgMigrations(db, "test", [{ ...v1, version: 0 }])).rejects.toMatchObject({ code: "STET_STORE_INVALID_ARGUMENT" });
    expect(await schemaVersion(db, "test")).toBe(0);
  });
});
