import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { compileQuery } from "../../sqlite/query/compile-query.js";
import { fillInvocationState } from "../../sqlite/query/live-invocation-state.js";
import { registerQueryFunctions } from "../../sqlite/query/sqlite-functions.js";
import { installSystemViews } from "../../sqlite/query/system-views.js";
import {
  JOURNAL_CALLS,
  JOURNAL_SERVICES,
  OBJECT_JOURNAL,
  RUN_STEP_RAW_HEX,
  WORKFLOW_DECIDE_JOURNAL,
  WORKFLOW_RUN_JOURNAL,
  journalQuery,
  normalizeJournalRows,
} from "../differential/journal-facts.js";
import { greeter, openGate, stubborn } from "../differential/services.js";
import { useStetWithServices, type StetWithServices } from "../helpers/stet-with-services.js";

// sys_journal's decoded columns and the invoker's live state through stet's system views, held to what
// restate-server 1.7 answers for the same handlers (test/differential/introspection.test.ts).

const setup = useStetWithServices();

function reader(stet: StetWithServices) {
  const db = new BetterSqlite3(stet.node.dataDir.dbFile, { readonly: true });
  registerQueryFunctions(db);
  installSystemViews(db);
  const run = async (sql: string) => db.prepare((await compileQuery(sql, { now: Date.now() })).sql).all() as Array<Record<string, unknown>>;
  return { db, run };
}

describe("sys_journal", () => {
  it("shows entries as restate-server does: entry_json and entry_lite_json, NULL v1 columns, raw without the frame header", async () => {
    const stet = await setup(JOURNAL_SERVICES);
    for (const [path, body] of JOURNAL_CALLS) expect((await stet.call(path, body)).status).toBe(200);
    const { db, run } = reader(stet);
    try {
      expect(normalizeJournalRows(await run(journalQuery("JournalObject/k/all")))).toEqual(OBJECT_JOURNAL);
      expect(normalizeJournalRows(await run(journalQuery("JournalWorkflow/w1/decide")))).toEqual(WORKFLOW_DECIDE_JOURNAL);
      expect(normalizeJournalRows(await run(journalQuery("JournalWorkflow/w1/run")))).toEqual(WORKFLOW_RUN_JOURNAL);
      const [step] = await run("SELECT raw FROM sys_journal WHERE name = 'step'");
      expect(Buffer.from(step!["raw"] as Uint8Array).toString("hex")).toBe(RUN_STEP_RAW_HEX);

      // The callee ids in a caller's entries are the callees' own.
      const calls = await run(`SELECT entry_lite_json FROM sys_journal WHERE entry_type IN ('Command: Call', 'Command: OneWayCall')
        AND id = (SELECT id FROM sys_invocation WHERE target = 'JournalObject/k/all') ORDER BY index`);
      const callees = calls.map((c) => Object.values((JSON.parse(String(c["entry_lite_json"])) as { Command: Record<string, { invocation_id: string }> }).Command)[0]!.invocation_id);
      const targets = await run(`SELECT id, target FROM sys_invocation WHERE id IN (${callees.map((c) => `'${c}'`).join(", ")})`);
      expect(callees.map((id) => targets.find((t) => t["id"] === id)?.["target"])).toEqual(["JournalGreeter/greet", "JournalGreeter/greet", "JournalGreeter/greet", "JournalObject/other/get"]);

      // The CLI's `restate invocations describe` statement.
      const [id] = await run("SELECT id FROM sys_invocation WHERE target = 'JournalObject/k/all'");
      const described = await run(`SELECT sj.index, sj.entry_type, sj.completed, sj.invoked_id, sj.invoked_target, sj.sleep_wakeup_at, sj.name,
        sj.promise_name, sj.version, sj.entry_json, sj.appended_at FROM sys_journal sj WHERE sj.id = '${String(id!["id"])}' ORDER BY index DESC LIMIT 100`);
      expect(described).toHaveLength(OBJECT_JOURNAL.length);
      expect(described.every((r) => r["version"] === 2 && typeof r["entry_json"] === "string" && r["completed"] === null)).toBe(true);
    } finally {
      db.close();
    }
  });
});

describe("sys_invocation_state from the invoker", () => {
  it("shows a running attempt (retry 1, in flight) and one backing off (its failure, when it retries), as restate-server does", async () => {
    const stet = await setup([greeter, stubborn]);
    const parked = (await stet.call("/DiffGreeter/parked/send", "query-journal")).headers.get("x-restate-id")!;
    const failing = (await stet.call("/DiffStubborn/fail/send")).headers.get("x-restate-id")!;
    const invoker = stet.node.invoker;
    await expect.poll(() => invoker.liveInvocationStates().filter((s) => s.lastAttemptServer !== null && (s.id !== failing || s.nextRetryAt !== null)).length).toBe(2);
    const { db, run } = reader(stet);
    try {
      fillInvocationState(db, invoker.liveInvocationStates());
      const columns = `id, retry_count, next_retry_at, last_attempt_deployment_id, last_attempt_server, last_failure, last_failure_error_code, status`;
      const rows = await run(`SELECT ${columns} FROM sys_invocation WHERE id IN ('${parked}', '${failing}') ORDER BY status`);
      const [deployment] = await run("SELECT id FROM sys_deployment");
      const server = expect.stringMatching(/^restate-sdk-typescript\/1\./);
      expect(rows).toEqual([
        {
          id: failing,
          status: "backing-off",
          retry_count: 1,
          next_retry_at: expect.stringMatching(/Z$/),
          last_attempt_deployment_id: deployment!["id"],
          last_attempt_server: server,
          // Restate: `[500 Internal] always failing` and the stack trace, code RT0007 (its error catalogue).
          last_failure: "[500] always failing",
          last_failure_error_code: "500",
        },
        { id: parked, status: "running", retry_count: 1, next_retry_at: null, last_attempt_deployment_id: deployment!["id"], last_attempt_server: server, last_failure: null, last_failure_error_code: null },
      ]);
      expect(Date.parse(String(rows[0]!["next_retry_at"]))).toBeGreaterThan(Date.now());
    } finally {
      db.close();
    }
    openGate("query-journal");
    await expect.poll(() => invoker.liveInvocationStates().some((s) => s.id === parked)).toBe(false);
  });
});
