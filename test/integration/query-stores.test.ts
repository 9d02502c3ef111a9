import * as restate from "@restatedev/restate-sdk";
import { tableFromIPC } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { JOURNAL_CALLS, JOURNAL_SERVICES, OBJECT_JOURNAL, journalQuery, normalizeJournalRows } from "../differential/journal-facts.js";
import { STATEMENTS, canonical, canonicalRows, type Statement } from "./query-statements.js";
import { counter, greeter, locker, sleeper } from "../differential/services.js";
import { leads, PARTITIONS } from "../helpers/pg-cluster.js";
import { usePostgres } from "../helpers/postgres.js";
import { normaliseCliText, runRestateCli } from "../helpers/restate-cli.js";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";

// `POST /query` answers alike whichever store a node uses: the same invocations, done on a node on
// SQLite and on a node on PostgreSQL, give the same rows to the statements the official CLI and the web
// UI send (shared/reference/restate-1.7-query-and-admin.md), and the same refusals. What must differ
// between two runs (ids, times) is replaced by placeholders before the rows are compared.

const pg = usePostgres();

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

/** Fails retryably with a backoff longer than any test, so that it is found backing off after its first attempt. */
const stubborn = restate.service({
  name: "Stubborn",
  handlers: {
    fail: async (): Promise<string> => {
      throw new Error("always failing");
    },
  },
  options: { retryPolicy: { initialInterval: 3_600_000, maxInterval: 3_600_000 } },
});

/** The services, and the locker on HTTP/1.1 (request/response): its sleep suspends at once, as a bidirectional stream's would not. */
async function endpoints(): Promise<TestEndpoint[]> {
  const both = [await startEndpoint([...JOURNAL_SERVICES, counter, greeter, sleeper, stubborn]), await startEndpoint([locker], { http: 1 })];
  open.push(...both);
  return both;
}

async function node(options: Parameters<typeof startTestStet>[0] = {}): Promise<TestStet> {
  const stet = await startTestStet({ partitions: PARTITIONS, ...options });
  open.push(stet);
  return stet;
}

function post(stet: TestStet, sql: string, accept = "application/json"): Promise<Response> {
  return fetch(`${stet.node.adminUrl}/query`, { method: "POST", headers: { "content-type": "application/json", accept }, body: JSON.stringify({ query: sql }) });
}

async function rows(stet: TestStet, sql: string): Promise<Record<string, unknown>[]> {
  const res = await post(stet, sql);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${sql}\n→ ${res.status} ${text}`);
  return (JSON.parse(text) as { rows: Record<string, unknown>[] }).rows;
}

async function until(stet: TestStet, sql: string, done: (rows: Record<string, unknown>[]) => boolean): Promise<void> {
  await expect
    .poll(
      async () => done(await rows(stet, sql)),
      { timeout: 20_000, interval: 100, message: `${sql}: the last answer was not the one awaited` },
    )
    .toBe(true);
}

/** The same invocations on any node: completed, scheduled, suspended, inboxed, backing off; state, promises. */
async function play(stet: TestStet, services: TestEndpoint[]): Promise<void> {
  for (const service of services) await stet.register(service.url);
  for (const [path, body] of JOURNAL_CALLS) expect((await stet.call(path, body)).status).toBe(200);
  expect(await (await stet.call("/DiffCounter/a/add", 5)).json()).toBe(5);
  expect(await (await stet.call("/DiffCounter/b/add", 7)).json()).toBe(7);
  expect((await stet.call("/DiffGreeter/greet/send", "once", { "idempotency-key": "once" })).status).toBe(202);
  expect((await stet.call("/DiffSleeper/hello/send?delay=1h", "later")).status).toBe(202);
  // The first holds the key's lock asleep (suspended); the second waits in the key's inbox.
  expect((await stet.call("/DiffLocker/l/hold/send", 3_600_000)).status).toBe(202);
  await until(stet, "SELECT status FROM sys_invocation WHERE target = 'DiffLocker/l/hold'", (r) => r[0]?.["status"] === "suspended");
  expect((await stet.call("/DiffLocker/l/hold/send", 1)).status).toBe(202);
  expect((await stet.call("/Stubborn/fail/send", null)).status).toBe(202);
  await until(stet, "SELECT status FROM sys_invocation WHERE target_service_name IN ('Stubborn', 'DiffLocker') ORDER BY status", (r) =>
    r.map((x) => x["status"]).join() === "backing-off,pending,suspended",
  );
  await until(stet, "SELECT count(*) AS n FROM sys_invocation WHERE target = 'DiffGreeter/greet' AND status = 'completed'", (r) => r[0]?.["n"] === 1);
}

async function deploymentOf(stet: TestStet): Promise<string> {
  return String((await rows(stet, "SELECT deployment_id FROM sys_service WHERE name = 'JournalObject'"))[0]!["deployment_id"]);
}

async function answers(stet: TestStet, statements: readonly Statement[]): Promise<Map<string, string[]>> {
  const ctx = { deployment: await deploymentOf(stet) };
  const out = new Map<string, string[]>();
  for (const s of statements) {
    const sql = typeof s.sql === "string" ? s.sql : s.sql({ deployment: "<dp>" });
    out.set(sql, canonicalRows(await rows(stet, typeof s.sql === "string" ? s.sql : s.sql(ctx)), s.ordered === true));
  }
  return out;
}

describe("POST /query on SQLite and on PostgreSQL", () => {
  it("answers the CLI's and the web UI's statements with the same rows", async () => {
    const services = await endpoints();
    const sqlite = await node();
    const postgres = await node({ store: pg.url });
    await Promise.all([play(sqlite, services), play(postgres, services)]);

    const expected = await answers(sqlite, STATEMENTS);
    const actual = await answers(postgres, STATEMENTS);
    for (const [sql, rows] of expected) expect([sql, actual.get(sql)]).toEqual([sql, rows]);
    // Not empty by accident: the scenario's rows are there.
    expect(expected.get(STATEMENTS[0]!.sql as string)).toHaveLength(5);
    expect(normalizeJournalRows(await rows(postgres, journalQuery("JournalObject/k/all")))).toEqual(OBJECT_JOURNAL);

    // The Arrow stream too: the same schema (names and types) and the same values.
    for (const sql of [
      "SELECT COUNT(*) AS n, MIN(created_at) AS first, SUM(journal_size) AS entries FROM sys_invocation_status WHERE target_service_name = 'DiffCounter'",
      "SELECT service_name, COALESCE(SUM(value_length), 0) AS size, max(key) AS last_key, count(value) AS n FROM state GROUP BY service_name ORDER BY service_name",
      "SELECT partition_key, key, value_utf8 FROM state WHERE service_name = 'DiffCounter' ORDER BY service_key",
      "SELECT name, public, revision FROM sys_service ORDER BY name",
      "SELECT services, min_service_protocol_version FROM sys_deployment",
      "SELECT completion_retention, target FROM sys_invocation_status WHERE status = 'scheduled' ORDER BY target",
    ]) {
      const [a, b] = await Promise.all([arrow(sqlite, sql), arrow(postgres, sql)]);
      expect([sql, b.schema]).toEqual([sql, a.schema]);
      expect([sql, b.rows]).toEqual([sql, a.rows]);
    }
  }, 120_000);

  it("answers the same from both nodes of a cluster, each leading half the partitions", async () => {
    const services = await endpoints();
    const first = await node({ store: pg.url, leaseTtlMs: 2_000 });
    await play(first, services);
    const second = await node({ store: pg.url, leaseTtlMs: 2_000 });
    const partitions = Array.from({ length: PARTITIONS }, (_, p) => p);
    await expect.poll(() => [first, second].map((n) => partitions.filter((p) => leads(n, p)).length), { timeout: 30_000 }).toEqual([2, 2]);
    const shared = STATEMENTS.filter((s) => s.live !== true);
    expect(await answers(second, shared)).toEqual(await answers(first, shared));
    // The invoker's live state is each node's own: only the node running an invocation shows it.
    const live = "SELECT count(*) AS n FROM sys_invocation_state s JOIN sys_invocation_status ss ON ss.id = s.id WHERE ss.target_service_name = 'Stubborn'";
    await expect.poll(async () => [...(await rows(first, live)), ...(await rows(second, live))].map((r) => r["n"]).sort(), { timeout: 30_000 }).toEqual([0, 1]);
  }, 120_000);

  it("refuses what is not one read-only SELECT, and bad SQL, with a 400 and a message, as on SQLite", async () => {
    const services = await endpoints();
    const sqlite = await node();
    const postgres = await node({ store: pg.url });
    await play(postgres, services);
    for (const service of services) await sqlite.register(service.url);
    const refusals: Array<[string, RegExp]> = [
      ["DELETE FROM state", /read-only/],
      ["UPDATE state SET value = 'x'", /read-only/],
      ["DROP TABLE state", /read-only/],
      ["CREATE TABLE x (a INT)", /read-only/],
      ["INSERT INTO state VALUES (1)", /read-only/],
      ["SELECT * INTO copy FROM state", /read-only/],
      ["SELECT 1; DELETE FROM state", /one statement/],
      ["SELECT * FROM invocations", /invocations/],
      ["SELECT * FROM stet_query.state", /stet_query/],
      ["SELECT pg_sleep(1)", /pg_sleep/],
      ["SELECT nope FROM state", /nope/],
      ["SELEC 1", /SQL error/],
      ["", /empty/],
    ];
    for (const stet of [sqlite, postgres]) {
      for (const [sql, message] of refusals) {
        const res = await post(stet, sql);
        expect([stet === sqlite ? "sqlite" : "postgres", sql, res.status]).toEqual([stet === sqlite ? "sqlite" : "postgres", sql, 400]);
        expect(((await res.json()) as { message: string }).message).toMatch(message);
      }
    }
    // PostgreSQL's own refusals of what its types do not allow, as the query's fault.
    const cast = await post(postgres, "SELECT CAST('x' AS BIGINT) AS n");
    expect(cast.status).toBe(400);
    expect(await cast.json()).toMatchObject({ message: expect.stringMatching(/^SQL error: .*invalid input syntax/) });
    // The journal's JSON is decoded by stet after PostgreSQL has read the rows: it is selected, not computed on.
    const computed = await post(postgres, "SELECT id FROM sys_journal WHERE entry_json LIKE '%Run%'");
    expect(computed.status).toBe(400);
    expect(await computed.json()).toMatchObject({ message: expect.stringContaining("entry_json") });
    expect(await rows(sqlite, "SELECT count(*) AS n FROM sys_journal WHERE entry_json LIKE '%Run%'")).toEqual([{ n: 0 }]);

    // Nothing changed, and the node still answers.
    expect(await rows(postgres, "SELECT service_key, value_utf8 FROM state WHERE service_name = 'DiffCounter' ORDER BY service_key")).toEqual([
      { service_key: "a", value_utf8: "5" },
      { service_key: "b", value_utf8: "7" },
    ]);
  }, 120_000);

  it("serves the official CLI alike (JSON and Arrow, the exact content type, its column checks)", async () => {
    const services = await endpoints();
    const sqlite = await node();
    const postgres = await node({ store: pg.url });
    await Promise.all([play(sqlite, services), play(postgres, services)]);
    const described = async (stet: TestStet) => String((await rows(stet, "SELECT id FROM sys_invocation WHERE target = 'JournalObject/k/all'"))[0]!["id"]);
    for (const args of [
      ["invocations", "list"],
      ["services", "status"],
      ["kv", "get", "DiffCounter", "a"],
      ["sql", "SELECT target, status, journal_size FROM sys_invocation ORDER BY target, status"],
      ["invocations", "describe", "<id>"],
    ]) {
      const [a, b] = await Promise.all(
        [sqlite, postgres].map(async (stet) => {
          const id = await described(stet);
          const result = await runRestateCli(args.map((x) => (x === "<id>" ? id : x)), { adminUrl: stet.node.adminUrl, ingressUrl: stet.node.ingressUrl });
          return { code: result.code, lines: cliLines(result.stdout) };
        }),
      );
      expect([args, b!.code]).toEqual([args, 0]);
      expect([args, b!.lines]).toEqual([args, a!.lines]);
    }
  }, 120_000);

  it("stops a query at its time limit, its reading included", async () => {
    const postgres = await node({ store: pg.url, queryLimitMs: 300 });
    for (const sql of [
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",
      "SELECT count(*) FROM information_schema.columns a, information_schema.columns b, information_schema.columns c, information_schema.columns d",
    ]) {
      const res = await post(postgres, sql);
      expect([sql, res.status]).toEqual([sql, 400]);
      expect(await res.json()).toMatchObject({ message: expect.stringMatching(/limit of 300 ms/) });
    }
    expect(await rows(postgres, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
  });
});

describe("POST /query on PostgreSQL", () => {
  it("streams a large result from its cursor, ends the query of a caller that leaves, and answers 503 while PostgreSQL is away", async () => {
    const stet = await node({ store: pg.url, queryLimitMs: 120_000 });
    const many = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000) SELECT n, 'row ' || n AS label FROM r";
    const all = await rows(stet, many);
    expect([all.length, all[99_999]]).toEqual([100_000, { n: 100_000, label: "row 100000" }]);
    const table = tableFromIPC(new Uint8Array(await (await post(stet, many, "*/*")).arrayBuffer()));
    expect(table.numRows).toBe(100_000);
    expect(table.batches.length).toBeGreaterThan(50);

    // Read one chunk, then go away: the query's transaction ends, and the next query is answered.
    const controller = new AbortController();
    const partial = await fetch(`${stet.node.adminUrl}/query`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: many }),
      signal: controller.signal,
    });
    await partial.body!.getReader().read();
    controller.abort();
    const db = await pg.connect();
    const busy = "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'stet query' AND state <> 'idle'";
    await expect.poll(async () => (await db.query<{ n: number }>(busy)).rows[0]?.n, { timeout: 20_000 }).toBe(0);
    expect(await rows(stet, "SELECT 1 AS one")).toEqual([{ one: 1 }]);

    await pg.server.stop("fast");
    try {
      const away = await post(stet, "SELECT count(*) AS n FROM sys_invocation");
      expect(away.status).toBe(503);
      expect(await away.json()).toMatchObject({ message: expect.stringMatching(/PostgreSQL/) });
    } finally {
      await pg.server.start();
    }
    await expect.poll(async () => (await post(stet, "SELECT 2 AS two")).status, { timeout: 20_000 }).toBe(200);
  }, 120_000);
});

/**
 * The CLI's lines with ids and addresses masked, in order of text (its tables follow creation times), and
 * what is up to time: the CLI words a keyed invocation suspended for more than a few seconds differently, and
 * `services status` shows `first_value(handler)` of a key's completed invocations, any of them (w1 has two).
 */
function cliLines(text: string): string[] {
  return normaliseCliText(canonical(text) as string)
    .map((line) =>
      line
        .replace(/127\.0\.0\.1:\d+/g, "<host>")
        .replace(/suspended \(<duration>\. The key will not be released until this invocation is complete\)/, "suspended (<duration> ago)")
        .replace(/ Suspended for <duration>\. The lock will not be released until this invocation is complete$/, "")
        .replace(/^( w1 0 <inv> \(completed\)) (?:decide|run)$/, "$1 <handler>"),
    )
    .sort();
}

async function arrow(stet: TestStet, sql: string): Promise<{ schema: string[]; rows: unknown[] }> {
  const res = await post(stet, sql, "application/vnd.apache.arrow.stream");
  if (res.status !== 200) throw new Error(`${sql}\n→ ${res.status} ${await res.text()}`);
  expect(res.headers.get("content-type")).toBe("application/vnd.apache.arrow.stream");
  const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
  const times = new Set(table.schema.fields.filter((f) => String(f.type).startsWith("Timestamp")).map((f) => f.name));
  return {
    schema: table.schema.fields.map((f) => `${f.name}: ${String(f.type)}${f.nullable ? "" : " NOT NULL"}`),
    rows: table.toArray().map((r) =>
      JSON.stringify(r.toJSON(), (k, v: unknown) => (times.has(k) && v !== null ? "<time>" : typeof v === "bigint" ? `${v}n` : v)),
    ),
  };
}
