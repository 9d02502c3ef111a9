import { describe, expect, it } from "vitest";
import { failedEntryIndex, journalTimeline, restartPoints } from "../../../ui/src/pages/invocation/journal-model.js";
import { formatDuration, timingSpans } from "../../../ui/src/pages/invocation/timing.js";

const bytes = (text: string) => JSON.stringify([...Buffer.from(text)]);

// Rows as sys_journal answers them (entry_json as stet and Restate 1.7 write it).
const ROWS = [
  { index: 0, entry_type: "Command: Input", name: "", entry_json: `{"Command":{"Input":{"headers":[],"payload":${bytes('{"item":"fig"}')},"name":""}}}` },
  { index: 1, entry_type: "Command: Run", name: "check", entry_json: `{"Command":{"Run":{"completion_id":1,"name":"check"}}}` },
  { index: 2, entry_type: "Notification: Run", entry_json: `{"Notification":{"Completion":{"Run":{"completion_id":1,"result":{"Success":${bytes('"ok"')}}}}}}` },
  {
    index: 3,
    entry_type: "Command: Call",
    name: "",
    entry_json: `{"Command":{"Call":{"request":{"invocation_id":"inv_callee","invocation_target":{"VirtualObject":{"name":"Stock","key":"fig","handler":"take","handler_ty":"Exclusive","scope":null}},"parameter":${bytes("3")},"headers":[]},"invocation_id_completion_id":2,"result_completion_id":3,"name":""}}}`,
  },
  { index: 4, entry_type: "Notification: CallInvocationId", entry_json: `{"Notification":{"Completion":{"CallInvocationId":{"completion_id":2,"invocation_id":"inv_callee"}}}}` },
  { index: 5, entry_type: "Notification: Call", entry_json: `{"Notification":{"Completion":{"Call":{"completion_id":3,"result":{"Failure":{"code":409,"message":"sold out"}}}}}}` },
  { index: 6, entry_type: "Command: Sleep", name: "", entry_json: `{"Command":{"Sleep":{"wake_up_time":5000,"completion_id":4,"name":""}}}` },
  { index: 7, entry_type: "Command: SetState", name: "", entry_json: `{"Command":{"SetState":{"key":"n","value":${bytes("7")},"name":""}}}` },
];

describe("the journal timeline", () => {
  it("reads each entry's type, name, subject and value, and pairs commands with their results", () => {
    const entries = journalTimeline(ROWS);
    expect(entries.map((e) => [e.index, e.kind, e.type, e.name])).toEqual([
      [0, "command", "Input", ""],
      [1, "command", "Run", "check"],
      [2, "notification", "Run", ""],
      [3, "command", "Call", ""],
      [4, "notification", "CallInvocationId", ""],
      [5, "notification", "Call", ""],
      [6, "command", "Sleep", ""],
      [7, "command", "SetState", ""],
    ]);
    expect(entries[0]).toMatchObject({ value: '{"item":"fig"}' });
    expect(entries[1]).toMatchObject({ outcome: { kind: "value", text: '"ok"' }, awaits: [1] });
    expect(entries[2]).toMatchObject({ completes: 1, completionId: 1 });
    expect(entries[3]).toMatchObject({ subject: "Stock/fig/take", value: "3", calleeId: "inv_callee", outcome: { kind: "failure", code: 409, message: "sold out" } });
    expect(entries[4]).toMatchObject({ calleeId: "inv_callee", completes: 3 });
    // No notification for the sleep yet: it is still waiting.
    expect(entries[6]).toMatchObject({ wakeUpAt: 5000, outcome: { kind: "pending" } });
    expect(entries[7]).toMatchObject({ subject: "n", value: "7" });
  });

  it("shows an unreadable entry by its type column", () => {
    expect(journalTimeline([{ index: 0, entry_type: "Command: Custom", name: "x", entry_json: "nope" }])).toEqual([
      { index: 0, kind: "unknown", type: "Command: Custom", name: "x", awaits: [] },
    ]);
  });

  it("offers restarts only from entries whose copied commands all got their completions", () => {
    // Entries 0 to 5 are complete; the sleep at 6 never woke, so no cut from 6 on is valid.
    expect([...restartPoints(journalTimeline(ROWS))]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("finds the entry a failure happened at by command index (Restate 1.7) or entry index", () => {
    const entries = journalTimeline(ROWS);
    // Commands: 0 Input, 1 Run, 2 Call, 3 Sleep, 4 SetState.
    expect(failedEntryIndex(entries, { commandIndex: 2 })).toBe(3);
    expect(failedEntryIndex(entries, { commandIndex: 3, entryIndex: 9 })).toBe(6);
    expect(failedEntryIndex(entries, { entryIndex: 5 })).toBe(5);
    expect(failedEntryIndex(entries, {})).toBeUndefined();
  });

  it("draws calls from the callee's life and sleeps to their wake-up", () => {
    const spans = timingSpans(
      { created_at: "1970-01-01T00:00:01.000Z" },
      journalTimeline(ROWS),
      [{ id: "inv_callee", created_at: "1970-01-01T00:00:01.500Z", completed_at: "1970-01-01T00:00:02.000Z" }],
      4000,
    );
    expect(spans).toEqual([
      { label: "this invocation", kind: "invocation", start: 1000, end: 4000, open: true },
      { label: "call Stock/fig/take", index: 3, kind: "call", start: 1500, end: 2000, open: false },
      { label: "sleep", index: 6, kind: "sleep", end: 5000, open: true },
    ]);
    expect([850, 1234, 59_000, 200_000, 7_500_000, 300_000_000].map(formatDuration)).toEqual(["850 ms", "1.2 s", "59 s", "3 min 20 s", "2 h 5 min", "3 d 11 h"]);
  });
});
