import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../helpers/processes.js";
import { sourceFilesUnder } from "../../helpers/source-files.js";

/**
 * Databases stay behind the storage seam (partition/storage/, server/registry/registry-store.ts): only the
 * SQLite implementation in sqlite/ imports better-sqlite3, only the PostgreSQL one in postgres/ imports pg,
 * and only those two hold SQL, with query-sql/, the `/query` translation and system views they share
 * (imported by them alone), so that a storage implementation is one folder and nothing else.
 */
const SOURCE_FOLDERS = ["server", "partition", "invoker", "protocol", "sdk", "sqlite", "postgres", "query-sql", "ui", "scripts", "test"];
const EXTENSIONS = [".ts", ".tsx", ".mjs", ".js"];

/** Files outside sqlite/ that may import better-sqlite3, and why. */
const ALLOWED: ReadonlyArray<readonly [prefix: string, why: string]> = [
  ["sqlite/", "the SQLite implementation"],
  ["test/unit/sqlite/", "the SQLite implementation's own tests"],
  ["scripts/pg-prototypes/", "the storage prototypes of issue 14 measure SQLite beside PostgreSQL"],
  ["test/e2e/data-folder-guards.test.ts", "checks, at the file level, what a data folder's lock keeps out"],
  ["test/integration/startup-migrations.test.ts", "writes databases of older schema versions"],
  ["test/integration/query-journal.test.ts", "builds SQLite databases for the /query translator"],
  ["test/integration/query-views.test.ts", "builds SQLite databases for the /query translator"],
  ["test/unit/architecture/storage-confined.test.ts", "this test's own examples"],
];

/** Files outside postgres/ that may import pg, and why. */
const ALLOWED_PG: ReadonlyArray<readonly [prefix: string, why: string]> = [
  ["postgres/", "the PostgreSQL implementation"],
  ["scripts/pg-prototypes/", "the storage prototypes of issue 14"],
  ["test/helpers/postgres.ts", "creates each test's database on the test file's server"],
  ["scripts/bench/stores.ts", "the bench creates and drops a database per round on its throwaway server"],
  ["test/helpers/cluster.ts", "the cluster e2e tests snapshot every table and hold a table lock around SIGCONT, with a plain client"],
  ["test/unit/scripts/postgres-server.test.ts", "checks the throwaway server with a plain client"],
  ["test/unit/architecture/storage-confined.test.ts", "this test's own examples"],
];

/** An import of `module` in any form: static, type-only, dynamic or required. */
const importsOf = (module: string) => new RegExp(String.raw`(?:from\s*|import\s*\(\s*|require\s*\(\s*|^\s*import\s*)["']${module}["']`, "m");
const IMPORTS_SQLITE = importsOf("better-sqlite3");
/** pg and the packages it is made of (pg-pool, pg-protocol, …), or a file inside one. */
const IMPORTS_PG = importsOf(String.raw`pg(?:-[a-z0-9-]+)?(?:/[^"']*)?`);

/** SQL in a string: a statement's first words, in capitals as stet writes SQL, right after a quote. */
const SQL_STATEMENT = /["'`]\s*(?:SELECT\s|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TEMP\s+)?(?:TABLE|INDEX|VIEW|TRIGGER)|PRAGMA\s|BEGIN\b|COMMIT\b|ROLLBACK\b|SAVEPOINT\s)/;

/** The engine's folders, where no SQL may be written (it belongs in sqlite/ or postgres/; the web UI and tools send /query SQL). */
const ENGINE_FOLDERS = ["server", "partition", "invoker", "protocol", "sdk"];

const withoutComments = (source: string): string => source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");

function offenders(folders: readonly string[], test: (source: string) => boolean, allowed: (file: string) => boolean): string[] {
  return folders
    .flatMap((folder) => sourceFilesUnder(folder, EXTENSIONS))
    .filter((file) => !allowed(file) && test(withoutComments(readFileSync(path.join(repoRoot, file), "utf8"))));
}

describe("databases behind the storage seam", () => {
  it("is imported only by the SQLite implementation and the tests that check SQLite files themselves", () => {
    const allowed = (file: string) => ALLOWED.some(([prefix]) => file.startsWith(prefix));
    expect(offenders(SOURCE_FOLDERS, (s) => IMPORTS_SQLITE.test(s), allowed)).toEqual([]);
  });

  it("has pg imported only by the PostgreSQL implementation and the tools and tests listed", () => {
    const allowed = (file: string) => ALLOWED_PG.some(([prefix]) => file.startsWith(prefix));
    expect(offenders(SOURCE_FOLDERS, (s) => IMPORTS_PG.test(s), allowed)).toEqual([]);
  });

  it("has its SQL written only in sqlite/ and postgres/", () => {
    expect(offenders(ENGINE_FOLDERS, (s) => SQL_STATEMENT.test(s), () => false)).toEqual([]);
  });

  it("recognises the imports and statements it looks for", () => {
    for (const line of [
      'import BetterSqlite3 from "better-sqlite3";',
      'import type { Database } from "better-sqlite3";',
      "const m = await import('better-sqlite3');",
      'const Db = require("better-sqlite3");',
    ]) {
      expect(IMPORTS_SQLITE.test(line), line).toBe(true);
    }
    expect(IMPORTS_SQLITE.test('external: ["better-sqlite3"],')).toBe(false);
    for (const line of ['import pg from "pg";', 'import type { PoolClient } from "pg";', "await import('pg-pool')", 'require("pg/lib/client")']) {
      expect(IMPORTS_PG.test(line), line).toBe(true);
    }
    for (const line of ['import { parse } from "libpg-query";', 'import x from "./pg-schema.js";', 'const s = "pg";']) {
      expect(IMPORTS_PG.test(line), line).toBe(false);
    }
    for (const line of ['db.prepare("SELECT v FROM t")', "db.exec(`CREATE TABLE t (v)`)", 'run("DELETE FROM leases")']) {
      expect(SQL_STATEMENT.test(line), line).toBe(true);
    }
    expect(SQL_STATEMENT.test('const METHODS = ["GET", "DELETE"];')).toBe(false);
    expect(withoutComments("// Column order (`SELECT *`)\nconst x = 1;")).not.toMatch(/SELECT/);
  });
});
