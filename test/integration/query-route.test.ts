import * as restate from "@restatedev/restate-sdk";
import { tableFromIPC } from "apache-arrow";
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { useStetWithServices } from "../helpers/stet-with-services.js";
import { counter } from "../helpers/counter.js";

// `POST /query` end to end: the route, the query process, the encoders, over a live store.

const setup = useStetWithServices();

function query(adminUrl: string, sql: string, headers: Record<string, string> = { accept: "application/json" }, path = "/query"): Promise<Response> {
  return fetch(`${adminUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query: sql }) });
}

async function rows(adminUrl: string, sql: string): Promise<Record<string, unknown>[]> {
  const res = await query(adminUrl, sql);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`query failed: ${res.status} ${text}`);
  return (JSON.parse(text) as { rows: Record<string, unknown>[] }).rows;
}

const moody = restate.service({
  name: "Moody",
  handlers: {
    // In flight until released: an attempt that runs.
    hang: async (_ctx: restate.Context, ms: number) => new Promise<string>((resolve) => setTimeout(() => resolve("done"), ms)),
    fail: async () => {
      throw new Error("not today");
    },
  },
});

describe("POST /query", () => {
  it("answers JSON for Accept: application/json exactly, and an Arrow stream otherwise, on every API version", async () => {
    const stet = await setup([counter]);
    expect(await (await stet.call("/Counter/k/add", 5)).json()).toBe(5);
    const admin = stet.node.adminUrl;

    const json = await query(admin, "SELECT target, status, completion_result FROM sys_invocation WHERE target_service_name = 'Counter'");
    expect(json.status).toBe(200);
    // The CLI compares the whole header: no charset.
    expect(json.headers.get("content-type")).toBe("application/json");
    expect(await json.json()).toEqual({ rows: [{ target: "Counter/k/add", status: "completed", completion_result: "success" }] });
    expect(await rows(admin, "SELECT key, value_utf8, value FROM state WHERE service_key = 'k'")).toEqual([{ key: "count", value_utf8: "5", value: "35" }]);

    for (const [path, headers] of [
      ["/v4/query", {}],
      ["/query", { accept: "application/json, text/plain" }],
      ["/v2/query", { accept: "*/*" }],
    ] as const) {
      const res = await query(admin, "SELECT COUNT(*) AS n, MIN(created_at) AS first FROM sys_invocation_status", headers, path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/vnd.apache.arrow.stream");
      const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
      expect(table.schema.fields.map((f) => String(f.type))).toEqual(["Int64", "Timestamp<MILLISECOND, +00:00>"]);
      expect(table.getChildAt(0)!.get(0)).toBe(1n);
    }
  });

  it("streams a large result in bounded chunks, and a caller that leaves stops its query", async () => {
    // A query's limit counts the time its caller takes to read it; a loaded machine must not cut this one.
    const stet = await setup([counter], { queryLimitMs: 120_000 });
    const admin = stet.node.adminUrl;
    const many = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000) SELECT n, 'row ' || n AS label FROM r";
    const all = await rows(admin, many);
    expect(all.length).toBe(100_000);
    expect(all[99_999]).toEqual({ n: 100_000, label: "row 100000" });

    const arrow = await query(admin, many, {});
    const table = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()));
    expect(table.numRows).toBe(100_000);
    // Streamed as it is read: many record batches, not one.
    expect(table.batches.length).toBeGreaterThan(50);

    // Read one chunk, then go away: the next query is answered (the process is not stuck on the first).
    const controller = new AbortController();
    const partial = await fetch(`${admin}/query`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: many }),
      signal: controller.signal,
    });
    await partial.body!.getReader().read();
    controller.abort();
    expect(await rows(admin, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
  }, 90_000);

  it("refuses what is not one read-only SELECT, and malformed requests, with a clear 4xx and nothing changed", async () => {
    const stet = await setup([counter], { queryLimitMs: 300 });
    // Enough journal entries that a cross join of the journal with itself would run for hours.
    for (let i = 1; i <= 10; i++) expect(await (await stet.call(`/Counter/k${i}/add`, 2)).json()).toBe(2);
    const admin = stet.node.adminUrl;
    const refusals: Array<[string, number, RegExp]> = [
      ["DELETE FROM state", 400, /read-only/],
      ["UPDATE state SET value = 'x'", 400, /read-only/],
      ["DROP TABLE state", 400, /read-only/],
      ["CREATE TABLE x (a INT)", 400, /read-only/],
      ["INSERT INTO state VALUES (1)", 400, /read-only/],
      ["ATTACH DATABASE '/tmp/x.db' AS x", 400, /SQL error|read-only/],
      ["PRAGMA writable_schema = ON", 400, /SQL error|read-only/],
      ["SELECT 1; DELETE FROM state", 400, /one statement/],
      ["SELECT * FROM invocations", 400, /invocations/],
      ["SELEC 1", 400, /SQL error/],
      ["", 400, /empty/],
      // Hostile but read-only: stopped by the time limit.
      ["WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r", 400, /limit of 300 ms/],
      ["SELECT count(*) FROM sys_journal a, sys_journal b, sys_journal c, sys_journal d, sys_journal e", 400, /limit of 300 ms/],
    ];
    for (const [sql, status, message] of refusals) {
      const res = await query(admin, sql);
      const body = (await res.json()) as { message: string };
      expect([sql, res.status]).toEqual([sql, status]);
      expect(body.message).toMatch(message);
    }
    const bad = [
      fetch(`${admin}/query`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" }),
      fetch(`${admin}/query`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sql: "SELECT 1" }) }),
      fetch(`${admin}/query`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: 42 }) }),
      fetch(`${admin}/query`, { method: "POST", headers: { "content-type": "text/plain" }, body: "SELECT 1" }),
    ];
    expect(await Promise.all(bad.map(async (r) => (await r).status))).toEqual([400, 400, 400, 400]);

    // Healthy after, and nothing changed.
    expect(await rows(admin, "SELECT DISTINCT value_utf8 FROM state WHERE service_name = 'Counter'")).toEqual([{ value_utf8: "2" }]);
    expect(await rows(admin, "SELECT COUNT(*) AS n FROM state")).toEqual([{ n: 10 }]);
    expect(await (await stet.call("/Counter/k1/add", 1)).json()).toBe(3);
  });

  it("shows the invoker's live state: a running attempt and one backing off", async () => {
    const stet = await setup([moody]);
    const admin = stet.node.adminUrl;
    const running = (await (await stet.call("/Moody/hang/send", 20_000)).json()) as { invocationId: string };
    const failing = (await (await stet.call("/Moody/fail/send", null)).json()) as { invocationId: string };
    const live = async () =>
      rows(admin, `SELECT id, status, retry_count, last_failure, last_attempt_server FROM sys_invocation WHERE id IN ('${running.invocationId}', '${failing.invocationId}') ORDER BY target`);
    await expect.poll(async () => (await live()).map((r) => r["status"]), { timeout: 15_000 }).toEqual(["backing-off", "running"]);
    const [fail, hang] = await live();
    expect(fail).toMatchObject({ id: failing.invocationId, last_failure: expect.stringContaining("not today") });
    expect(fail!["retry_count"]).toBeGreaterThanOrEqual(1);
    expect(hang).toMatchObject({ id: running.invocationId, retry_count: 1, last_attempt_server: expect.stringMatching(/^restate-sdk-typescript\//) });
    const [state] = await rows(admin, `SELECT in_flight FROM sys_invocation_state WHERE id = '${running.invocationId}'`);
    expect(state).toEqual({ in_flight: true });
  });

  it("answers again after its query process dies", async () => {
    const stet = await setup([counter]);
    const admin = stet.node.adminUrl;
    expect(await rows(admin, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
    const pid = findQueryProcess(stet.dataDir);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await rows(admin, "SELECT 2 AS two")).toEqual([{ two: 2 }]);
  });
});

/** The pid of the query process serving the store in `dataDir` (its command line names the database). */
function findQueryProcess(dataDir: string): number {
  const out = execFileSync("pgrep", ["-f", `stet-query.cjs ${dataDir}`]).toString().trim();
  return Number(out.split("\n")[0]);
}
