import BetterSqlite3, { type Database } from "better-sqlite3";
import { beforeAll, describe, expect, it } from "vitest";
import { registerQueryFunctions, type QueryClock } from "../../../sqlite/query/sqlite-functions.js";
import { compileQuery } from "../../../sqlite/query/compile-query.js";
import type { TranslatedQuery } from "../../../query-sql/index.js";
import { INFORMATION_SCHEMA, SYSTEM_TABLES } from "../../../partition/query/system-tables.js";

// Every statement the official CLI 1.7 and Restate's web UI send (shared/reference/restate-1.7-query-and-admin.md),
// translated and run on tables named and typed as the system tables, filled with a few known rows.

const NOW = Date.parse("2026-01-01T12:00:00Z");
let db: Database;
let clock: QueryClock;

beforeAll(() => {
  db = new BetterSqlite3(":memory:");
  clock = registerQueryFunctions(db);
  db.pragma("case_sensitive_like = ON");
  for (const [name, columns] of SYSTEM_TABLES) db.exec(`CREATE TABLE "${name}" (${columns.map((c) => `"${c.name}"`).join(", ")})`);
  for (const [name, columns] of INFORMATION_SCHEMA) db.exec(`CREATE TABLE "information_schema_${name}" (${columns.map((c) => `"${c.name}"`).join(", ")})`);
  const insert = (table: string, row: Record<string, unknown>) =>
    db.prepare(`INSERT INTO "${table}" (${Object.keys(row).map((k) => `"${k}"`).join(", ")}) VALUES (${Object.keys(row).map(() => "?").join(", ")})`).run(...Object.values(row));
  const invocations = [
    { id: "inv_a", target: "Greeter/greet", target_service_name: "Greeter", target_handler_name: "greet", target_service_ty: "service", status: "completed", completion_result: "success", created_at: "2026-01-01T10:00:00.000Z", completed_at: "2026-01-01T10:00:30.000Z", retry_count: 0, pinned_deployment_id: "dp_1" },
    { id: "inv_b", target: "Greeter/greet", target_service_name: "Greeter", target_handler_name: "greet", target_service_ty: "service", status: "backing-off", created_at: "2026-01-01T11:00:00.000Z", retry_count: 3, pinned_deployment_id: "dp_gone" },
    { id: "inv_c", target: "Counter/k/add", target_service_name: "Counter", target_service_key: "k", target_handler_name: "add", target_service_ty: "virtual_object", status: "pending", created_at: "2026-01-01T11:30:00.000Z", retry_count: 0 },
    { id: "inv_d", target: "Counter/k/add", target_service_name: "Counter", target_service_key: "k", target_handler_name: "add", target_service_ty: "virtual_object", status: "running", created_at: "2026-01-01T11:10:00.000Z", retry_count: 1, pinned_deployment_id: "dp_1" },
  ];
  for (const inv of invocations) {
    insert("sys_invocation", inv);
    const raw = inv.status === "pending" ? "inboxed" : inv.status === "running" || inv.status === "backing-off" ? "invoked" : inv.status;
    const { retry_count: _r, ...status } = inv;
    insert("sys_invocation_status", { ...status, status: raw, partition_key: 1 });
  }
  insert("sys_deployment", { id: "dp_1", ty: "http", endpoint: "http://localhost:9080/", created_at: "2026-01-01T09:00:00.000Z", services: '["Greeter","Counter"]' });
  insert("sys_service", { name: "Greeter", revision: 1, public: 1, ty: "service", deployment_id: "dp_1" });
  insert("sys_service", { name: "Counter", revision: 1, public: 1, ty: "virtual_object", deployment_id: "dp_1" });
  insert("state", { service_name: "Counter", service_key: "k", key: "count", value: Buffer.from("5"), value_length: 1, partition_key: 1 });
  insert("sys_inbox", { service_name: "Counter", service_key: "k", id: "inv_c", sequence_number: 1, partition_key: 1 });
  insert("sys_journal", { id: "inv_a", index: 0, entry_type: "Command: Input", completed: 1, version: 2, appended_at: "2026-01-01T10:00:00.000Z", partition_key: 1 });
  insert("sys_journal", { id: "inv_a", index: 1, entry_type: "Command: Run", name: "step", completed: 1, version: 2, appended_at: "2026-01-01T10:00:01.000Z", partition_key: 1 });
  for (const column of ["promise_name", "version", "entry_json", "appended_at"]) insert("information_schema_columns", { table_name: "sys_journal", column_name: column });
});

async function run(sql: string): Promise<{ rows: Record<string, unknown>[]; columns: TranslatedQuery["columns"] }> {
  const translated = await compileQuery(sql, { now: NOW });
  return { rows: db.prepare(translated.sql).all() as Record<string, unknown>[], columns: translated.columns };
}

describe("the official CLI's queries", () => {
  it("invocations list: ids, details with a LEFT JOIN, and the count over an unaliased derived table", async () => {
    const ids = await run("SELECT id FROM sys_invocation inv WHERE status != 'completed' ORDER BY inv.created_at DESC, inv.id LIMIT 100");
    expect(ids.rows.map((r) => r["id"])).toEqual(["inv_c", "inv_d", "inv_b"]);
    const details = await run(`SELECT inv.id, inv.target, inv.status, inv.created_at, inv.retry_count as num_retries,
      dp.id IS NOT NULL as pinned_deployment_exists
      FROM sys_invocation inv LEFT JOIN sys_deployment dp ON dp.id = inv.pinned_deployment_id
      WHERE status != 'completed' AND inv.id in ('inv_b','inv_d') ORDER BY inv.created_at DESC, inv.id`);
    expect(details.rows).toEqual([
      { id: "inv_d", target: "Counter/k/add", status: "running", created_at: "2026-01-01T11:10:00.000Z", num_retries: 1, pinned_deployment_exists: 1 },
      { id: "inv_b", target: "Greeter/greet", status: "backing-off", created_at: "2026-01-01T11:00:00.000Z", num_retries: 3, pinned_deployment_exists: 0 },
    ]);
    expect(details.columns.find((c) => c.name === "pinned_deployment_exists")?.type).toBe("bool");
    expect(details.columns.find((c) => c.name === "created_at")?.type).toBe("ts");
    const count = await run(`SELECT COUNT(1) FROM (SELECT
            *
        FROM sys_invocation inv
        LIMIT 50000
        )
        WHERE inv.target_service_name IN ('Greeter') AND status != 'completed'`);
    expect(Object.values(count.rows[0]!)).toEqual([1]);
    expect(count.columns).toEqual([{ name: "count(Int64(1))", type: "i64", nullable: false }]);
  });

  it("services status: == and FIRST_VALUE(x ORDER BY y) per group; zombie and keyed filters with subqueries", async () => {
    const pending = await run(`SELECT target_service_name, target_handler_name, 'pending' as status, COUNT(1) as num_invocations,
      MIN(created_at) as oldest_at, FIRST_VALUE(id ORDER BY created_at ASC) as oldest_invocation
      FROM sys_invocation_status WHERE status == 'inboxed' AND target_service_name IN ('Counter','Greeter')
      GROUP BY target_service_name, target_handler_name`);
    expect(pending.rows).toEqual([
      { target_service_name: "Counter", target_handler_name: "add", status: "pending", num_invocations: 1, oldest_at: "2026-01-01T11:30:00.000Z", oldest_invocation: "inv_c" },
    ]);
    const byStatus = await run(`SELECT target_service_name, status, COUNT(1) as n, FIRST_VALUE(id ORDER BY created_at ASC) as oldest,
      sum(retry_count) as num_retries FROM sys_invocation WHERE target_service_name IN ('Greeter', 'Counter')
      GROUP BY target_service_name, status ORDER BY target_service_name, status`);
    expect(byStatus.rows.map((r) => [r["target_service_name"], r["status"], r["n"], r["oldest"]])).toEqual([
      ["Counter", "pending", 1, "inv_c"],
      ["Counter", "running", 1, "inv_d"],
      ["Greeter", "backing-off", 1, "inv_b"],
      ["Greeter", "completed", 1, "inv_a"],
    ]);
    expect(byStatus.columns.find((c) => c.name === "num_retries")?.type).toBe("u64");
    const zombies = await run(`SELECT id FROM sys_invocation inv WHERE (inv.pinned_deployment_id IS NOT NULL AND inv.pinned_deployment_id NOT IN (select id from sys_deployment))`);
    expect(zombies.rows).toEqual([{ id: "inv_b" }]);
    const keyed = await run(`SELECT id FROM sys_invocation inv WHERE inv.target_service_name IN (select name from sys_service where ty = 'virtual_object') ORDER BY id`);
    expect(keyed.rows).toEqual([{ id: "inv_c" }, { id: "inv_d" }]);
  });

  it("kv get with a trailing ;, information_schema column checks, the journal with `index` as a column", async () => {
    expect((await run("select key, value from state where service_name = 'Counter' and service_key = 'k' ;")).rows).toEqual([{ key: "count", value: Buffer.from("5") }]);
    const check = await run(`SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'sys_journal' AND column_name IN ('version', 'entry_json', 'appended_at')`);
    expect(Object.values(check.rows[0]!)).toEqual([3]);
    const journal = await run(`SELECT sj.index, sj.entry_type, sj.completed, sj.name FROM sys_journal sj WHERE sj.id = 'inv_a' ORDER BY index DESC LIMIT 100`);
    expect(journal.rows).toEqual([
      { index: 1, entry_type: "Command: Run", completed: 1, name: "step" },
      { index: 0, entry_type: "Command: Input", completed: 1, name: null },
    ]);
    const deployments = await run(`SELECT target_service_name as service, target_handler_name as handler, COUNT(1) AS inv_count FROM sys_invocation_status
      WHERE pinned_deployment_id = 'dp_1' AND status != 'completed' GROUP BY pinned_deployment_id, target_service_name, target_handler_name`);
    expect(deployments.rows).toEqual([{ service: "Counter", handler: "add", inv_count: 1 }]);
  });
});

describe("the web UI's queries", () => {
  it("a completion chart: date_bin, to_unixtime, COUNT FILTER, GROUP BY an output alias, timestamps against ISO strings", async () => {
    const chart = await run(`SELECT to_unixtime(date_bin(INTERVAL '60 seconds', completed_at, TIMESTAMP '1970-01-01T00:00:00')) AS bucket,
      COUNT(1) FILTER (WHERE completion_result = 'success') AS succeeded, COUNT(1) FILTER (WHERE completion_result = 'failure') AS failed
      FROM sys_invocation_status WHERE status = 'completed' AND completed_at >= '2026-01-01T09:00:00Z' AND completed_at < '2026-01-01T12:00:00.000Z'
      GROUP BY bucket`);
    expect(chart.rows).toEqual([{ bucket: Date.parse("2026-01-01T10:00:00Z") / 1000, succeeded: 1, failed: 0 }]);
  });

  it("a CTE with UNION and EXCEPT; NULLS LAST; IS NOT TRUE; ILIKE and a case-sensitive LIKE; now() - INTERVAL", async () => {
    const drained = await run(`WITH active_deployments AS (SELECT DISTINCT deployment_id AS id FROM sys_service WHERE deployment_id IS NOT NULL
      UNION SELECT DISTINCT pinned_deployment_id AS id FROM sys_invocation_status WHERE pinned_deployment_id IS NOT NULL AND status != 'completed')
      SELECT d.id AS id FROM sys_deployment d EXCEPT SELECT id FROM active_deployments`);
    expect(drained.rows).toEqual([]);
    const ordered = await run("SELECT i.id FROM sys_invocation i WHERE i.id IN ('inv_a','inv_b','inv_c') ORDER BY i.completed_at DESC NULLS LAST, i.id");
    expect(ordered.rows.map((r) => r["id"])).toEqual(["inv_a", "inv_b", "inv_c"]);
    const ascending = await run("SELECT id FROM sys_invocation ORDER BY completed_at, id");
    expect(ascending.rows.map((r) => r["id"])).toEqual(["inv_a", "inv_b", "inv_c", "inv_d"]);
    expect((await run("SELECT count(*) AS n FROM sys_invocation WHERE target ILIKE 'greeter/%'")).rows).toEqual([{ n: 2 }]);
    expect((await run("SELECT count(*) AS n FROM sys_invocation WHERE target LIKE 'greeter/%'")).rows).toEqual([{ n: 0 }]);
    // now() is 12:00: an hour back is 11:00, and inv_b was created at 11:00 exactly.
    expect((await run("SELECT id FROM sys_invocation WHERE created_at > now() - INTERVAL '1 hour' ORDER BY id")).rows).toEqual([{ id: "inv_c" }, { id: "inv_d" }]);
    expect((await run("SELECT id FROM sys_invocation WHERE created_at >= now() - INTERVAL '1 hour' ORDER BY id")).rows).toEqual([{ id: "inv_b" }, { id: "inv_c" }, { id: "inv_d" }]);
    const buckets = await run(`SELECT ss.target_service_name AS service_name, CASE WHEN ss.status = 'completed' THEN 'done' ELSE 'open' END AS bucket, COUNT(1) AS count
      FROM sys_invocation_status ss LEFT JOIN sys_invocation_state sis ON sis.id = ss.id WHERE sis.in_flight IS NOT TRUE
      GROUP BY ss.target_service_name, CASE WHEN ss.status = 'completed' THEN 'done' ELSE 'open' END ORDER BY 1, 2`);
    expect(buckets.rows).toEqual([
      { service_name: "Counter", bucket: "open", count: 2 },
      { service_name: "Greeter", bucket: "done", count: 1 },
      { service_name: "Greeter", bucket: "open", count: 1 },
    ]);
  });
});

// Names, types and nullability as restate-server 1.7.12 (DataFusion) reports them for the same
// statements (test/differential/RESTATE-FACTS.md): the CLI and the UI read results by these.
describe("result columns as DataFusion describes them", () => {
  const columnsOf = async (sql: string) => (await compileQuery(sql, { now: NOW })).columns;

  it("names an unaliased expression as DataFusion displays it: literals typed, columns with their table", async () => {
    expect(await columnsOf("SELECT 1 FROM sys_invocation_status LIMIT 1")).toEqual([{ name: "Int64(1)", type: "i64", nullable: false }]);
    expect((await columnsOf("SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'sys_journal'")).map((c) => c.name)).toEqual(["count(*)"]);
    const names = (await columnsOf(`SELECT inv.id, 'x', true, 1.5, NULL, inv.id IS NOT NULL, inv.status != 'a', lower(id), coalesce(id, 'a'),
      CASE WHEN id = 'a' THEN 'b' ELSE 'c' END, inv.journal_size * 2 + 1, inv.id IN ('a', 'b'), NOT inv.id LIKE 'a%',
      to_unixtime(created_at) FROM sys_invocation_status inv`)).map((c) => c.name);
    expect(names).toEqual([
      "id",
      'Utf8("x")',
      "Boolean(true)",
      "Float64(1.5)",
      "NULL",
      "inv.id IS NOT NULL",
      'inv.status != Utf8("a")',
      "lower(inv.id)",
      'coalesce(inv.id,Utf8("a"))',
      'CASE WHEN inv.id = Utf8("a") THEN Utf8("b") ELSE Utf8("c") END',
      "inv.journal_size * Int64(2) + Int64(1)",
      'inv.id IN Utf8("a"), Utf8("b")',
      'NOT inv.id LIKE Utf8("a%")',
      "to_unixtime(inv.created_at)",
    ]);
    const aggregates = (await columnsOf(`SELECT count(DISTINCT id), max(created_at), first_value(id ORDER BY created_at),
      count(1) FILTER (WHERE status = 'completed') FROM sys_invocation_status`)).map((c) => c.name);
    expect(aggregates).toEqual([
      "count(DISTINCT sys_invocation_status.id)",
      "max(sys_invocation_status.created_at)",
      "first_value(sys_invocation_status.id) ORDER BY [sys_invocation_status.created_at ASC NULLS LAST]",
      'count(Int64(1)) FILTER (WHERE sys_invocation_status.status = Utf8("completed"))',
    ]);
  });

  it("types string literals Utf8 and the tables' strings LargeUtf8; UInt64 with Int64 is Decimal128(20, 0)", async () => {
    const columns = await columnsOf(`SELECT 'pending' AS a, CASE WHEN status = 'x' THEN 'a' ELSE status END AS b,
      CASE WHEN status = 'x' THEN 'a' ELSE 'b' END AS c, lower('ABC') AS d, coalesce(journal_size, 0) AS e,
      CASE WHEN status = 'x' THEN 1 ELSE 0 END AS f, status || 'x' AS g FROM sys_invocation_status`);
    expect(columns.map((c) => [c.name, c.type])).toEqual([
      ["a", "small_utf8"],
      ["b", "utf8"],
      ["c", "small_utf8"],
      ["d", "small_utf8"],
      ["e", "i64"],
      ["f", "i64"],
      ["g", "utf8"],
    ]);
    const size = await columnsOf("SELECT service_name, COALESCE(SUM(value_length), 0) AS size FROM state GROUP BY service_name ORDER BY service_name");
    expect(size[1]).toEqual({ name: "size", type: "decimal20", nullable: false });
    expect((await columnsOf("SELECT table_name, ordinal_position FROM information_schema.columns"))).toEqual([
      { name: "table_name", type: "small_utf8", nullable: false },
      { name: "ordinal_position", type: "u64", nullable: false },
    ]);
  });

  it("marks what can never be NULL: counts, literals, NULL tests, a CASE with an ELSE of such values, sys_invocation.status", async () => {
    const columns = await columnsOf(`SELECT count(1) AS a, sum(journal_size) AS b, 'x' AS c, id IS NULL AS d, id = 'x' AS e,
      CASE WHEN id = 'a' THEN 'b' END AS f, CASE WHEN id = 'a' THEN 'b' ELSE 'c' END AS g, coalesce(id, 'a') AS h,
      coalesce(id, target) AS i, status AS j, 1 = 1 AS k FROM sys_invocation GROUP BY id, target, status`);
    expect(Object.fromEntries(columns.map((c) => [c.name, c.nullable !== false]))).toEqual({
      a: false, b: true, c: false, d: false, e: true, f: true, g: false, h: false, i: true, j: false, k: false,
    });
    // The side of an outer join that may find no match may be NULL, even where its table's column may not.
    const joined = await columnsOf("SELECT s.status AS raw, i.status AS computed FROM sys_invocation_status s LEFT JOIN sys_invocation i ON i.id = s.id");
    expect(joined.map((c) => c.nullable !== false)).toEqual([true, true]);
    const inner = await columnsOf("SELECT i.status FROM sys_invocation_status s JOIN sys_invocation i ON i.id = s.id");
    expect(inner[0]!.nullable).toBe(false);
  });
});

describe("what /query refuses", () => {
  it("DDL, DML, several statements and SELECT INTO, as read-only errors; unknown tables, columns and functions as invalid", async () => {
    for (const sql of ["DROP TABLE state", "DELETE FROM state", "INSERT INTO state (key) VALUES ('x')", "UPDATE state SET key = 'x'", "CREATE TABLE x (a int)", "SELECT 1; SELECT 2", "SELECT * INTO t2 FROM state", "ATTACH DATABASE 'x' AS y"]) {
      await expect(run(sql), sql).rejects.toMatchObject({ code: expect.stringMatching(/^STET_QUERY_/), status: 400 });
    }
    await expect(run("SELECT * FROM sqlite_master")).rejects.toMatchObject({ code: "STET_QUERY_INVALID", message: "table 'sqlite_master' not found" });
    await expect(run("SELECT nope FROM state")).rejects.toMatchObject({ code: "STET_QUERY_INVALID", message: "column 'nope' not found" });
    await expect(run("SELECT load_extension('x')")).rejects.toMatchObject({ code: "STET_QUERY_INVALID" });
    await expect(run("SELECT id FROM sys_invocation a, sys_invocation b")).rejects.toMatchObject({ message: expect.stringContaining("ambiguous") });
    expect(db.prepare("SELECT count(*) AS n FROM state").get()).toEqual({ n: 1 });
  });
});

describe("the time limit", () => {
  it("stops a recursive CTE that never ends and a cross join of a big table with itself, with a coded error", async () => {
    // sys_journal_events is empty in the other tests: 20 000 rows make a 4e8-row cross join.
    db.exec("INSERT INTO sys_journal_events (id) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT 'inv_' || i FROM n");
    try {
      for (const sql of [
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
        "SELECT count(*) FROM (SELECT 1 AS one) o, sys_journal_events a, sys_journal_events b",
      ]) {
        const translated = await compileQuery(sql, { now: NOW });
        clock.limit(100);
        expect(() => db.prepare(translated.sql).get(), sql).toThrow(expect.objectContaining({ code: "STET_QUERY_TIMEOUT" }));
      }
      // Within its limit, the same connection answers again.
      clock.limit(5_000);
      expect((await run("SELECT count(*) AS n FROM sys_journal_events")).rows).toEqual([{ n: 20000 }]);
    } finally {
      db.exec("DELETE FROM sys_journal_events");
      clock.limit(60_000);
    }
  });
});
