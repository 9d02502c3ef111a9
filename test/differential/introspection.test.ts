import { describe, expect, it } from "vitest";
import { differential, pollUntil, type Target } from "./harness.js";
import {
  JOURNAL_CALLS,
  JOURNAL_SERVICES,
  OBJECT_JOURNAL,
  RUN_STEP_RAW_HEX,
  WORKFLOW_DECIDE_JOURNAL,
  WORKFLOW_RUN_JOURNAL,
  journalQuery,
  normalizeJournalRows,
} from "./journal-facts.js";
import { greeter, openGate, stubborn } from "./services.js";

// `POST /query` as restate-server 1.7 answers it, for what stet's system views must show: sys_journal's
// decoded columns and the invoker's live state. These pin the facts on restate-server (written when stet
// had no route yet), and stet's own tests assert the same values (test/integration/query-journal.test.ts,
// test/unit/invoker/live-invocation-states.test.ts); query.test.ts compares both servers' answers.
// Findings: RESTATE-FACTS.md.
const diff = differential([...JOURNAL_SERVICES, greeter, stubborn]);

async function query(t: Target, sql: string): Promise<Array<Record<string, unknown>>> {
  const res = await t.admin("POST", "/query", { query: sql }, { headers: { accept: "application/json" } });
  if (res.status !== 200) throw new Error(`POST /query answered ${res.status}: ${res.text}`);
  return (res.json as { rows: Array<Record<string, unknown>> }).rows;
}

describe("sys_journal on restate-server", () => {
  it("shows each entry's JSON (entry_json, entry_lite_json), leaves the v1 columns NULL, and `raw` without the frame header", () =>
    diff.restateRecord(async (t) => {
      for (const [path, body] of JOURNAL_CALLS) expect((await t.call(path, body)).status).toBe(200);
      expect(normalizeJournalRows(await query(t, journalQuery("JournalObject/k/all")))).toEqual(OBJECT_JOURNAL);
      expect(normalizeJournalRows(await query(t, journalQuery("JournalWorkflow/w1/decide")))).toEqual(WORKFLOW_DECIDE_JOURNAL);
      expect(normalizeJournalRows(await query(t, journalQuery("JournalWorkflow/w1/run")))).toEqual(WORKFLOW_RUN_JOURNAL);
      const [step] = await query(t, "SELECT raw FROM sys_journal WHERE name = 'step'");
      expect(step).toEqual({ raw: RUN_STEP_RAW_HEX });
    }));
});

describe("sys_invocation_state on restate-server", () => {
  it("counts a running first attempt as retry 1 in flight; a failed one backs off with its failure; an ended one is gone", () =>
    diff.restateRecord(async (t) => {
      const gate = `introspection-${t.tag}`;
      const parked = (await t.call("/DiffGreeter/parked/send", gate)).invocationId!;
      const failing = (await t.call("/DiffStubborn/fail/send")).invocationId!;
      const columns = `id, in_flight, retry_count, last_start_at, next_retry_at, last_attempt_deployment_id, last_attempt_server,
        last_failure, last_failure_error_code`;
      const states = await pollUntil(async () => {
        const rows = await query(t, `SELECT ${columns} FROM sys_invocation_state WHERE id IN ('${parked}', '${failing}')`);
        return rows.length === 2 && rows.some((r) => r["last_failure"] !== undefined) && rows.some((r) => r["last_attempt_server"] !== undefined) ? rows : undefined;
      }, "both invocations in the invoker's state");
      const byId = new Map(states.map((s) => [s["id"], s]));
      expect(byId.get(parked)).toEqual({
        id: parked,
        in_flight: true,
        retry_count: 1,
        last_start_at: expect.stringMatching(/Z$/),
        last_attempt_deployment_id: expect.stringMatching(/^dp_/),
        last_attempt_server: expect.stringMatching(/^restate-sdk-typescript\/1\./),
      });
      const failed = byId.get(failing)!;
      expect(failed).toMatchObject({ in_flight: false, retry_count: 1, last_failure_error_code: "RT0007", last_attempt_server: expect.stringMatching(/^restate-sdk-typescript\//) });
      // Restate's text: `[500 Internal] always failing` and the SDK's stack trace.
      expect(String(failed["last_failure"])).toMatch(/^\[500 Internal\] always failing\n/);
      expect(Date.parse(String(failed["next_retry_at"]))).toBeGreaterThan(Date.now());
      const statuses = await query(t, `SELECT id, status FROM sys_invocation WHERE id IN ('${parked}', '${failing}') ORDER BY status`);
      expect(statuses).toEqual([
        { id: failing, status: "backing-off" },
        { id: parked, status: "running" },
      ]);

      openGate(gate);
      await pollUntil(async () => ((await query(t, `SELECT id FROM sys_invocation_state WHERE id = '${parked}'`)).length === 0 ? true : undefined), "the ended invocation to leave");
      await t.admin("PATCH", `/invocations/${failing}/kill`);
    }));
});
