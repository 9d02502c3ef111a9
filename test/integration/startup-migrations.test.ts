import Database from "better-sqlite3";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startTestStet } from "../helpers/stet.js";
import { tempDir } from "../helpers/temp-dir.js";

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

function tables(dbFile: string): string[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) != 'sqlite_' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe("startup migrations", () => {
  it("commit every component's steps together: a step that fails leaves no component migrated", async () => {
    const owned = tempDir();
    dirs.push(owned);
    const dataDir = join(owned.path, "data");
    const first = await startTestStet({ dataDir });
    await first.close();
    const dbFile = join(dataDir, "stet.db");
    expect(tables(dbFile)).toEqual(expect.arrayContaining(["invocations", "leases", "registry_deployments", "schema_versions"]));

    // Back to a database that holds only a lease table schema from a newer stet: the registry and the
    // partition store (built before the leases) migrate first, then the lease table refuses.
    const db = new Database(dbFile);
    for (const name of tables(dbFile)) if (name !== "schema_versions") db.exec(`DROP TABLE "${name}"`);
    db.exec("DELETE FROM schema_versions");
    db.prepare("INSERT INTO schema_versions (component, version) VALUES ('leases', 99)").run();
    db.close();

    await expect(startTestStet({ dataDir })).rejects.toMatchObject({ code: "STET_SCHEMA_TOO_NEW" });
    expect(tables(dbFile)).toEqual(["schema_versions"]);
  });
});
