import * as restate from "@restatedev/restate-sdk";

/**
 * What restate-server 1.7 shows in `sys_journal` for a handler that uses every kind of step, asserted
 * against restate-server's real `POST /query` (introspection.test.ts) and against stet's views
 * (test/integration/query-journal.test.ts). Rows are normalized (`normalizeJournalRows`) for what
 * legitimately differs between two runs: ids, times, and the ingress headers in the input entry.
 */

export const journalGreeter = restate.service({
  name: "JournalGreeter",
  handlers: { greet: async (_ctx: restate.Context, who: string) => `hi ${who}` },
});

export const journalObject = restate.object({
  name: "JournalObject",
  handlers: {
    /** Every step kind an object handler has, in a fixed order. */
    all: async (ctx: restate.ObjectContext, n: number) => {
      const v = (await ctx.get<number>("count")) ?? 0;
      ctx.set("count", v + n);
      await ctx.stateKeys();
      await ctx.run("step", () => 42);
      await ctx.sleep(10, "nap");
      await ctx.serviceClient(journalGreeter).greet("x");
      ctx.serviceSendClient(journalGreeter).greet("y");
      ctx.serviceSendClient(journalGreeter).greet("z", restate.rpc.sendOpts({ delay: 3_600_000 }));
      await ctx.objectClient(journalObject, "other").get();
      const awakeable = ctx.awakeable<string>();
      ctx.resolveAwakeable(awakeable.id, "self");
      await awakeable.promise;
      try {
        await ctx.run("bad", () => {
          throw new restate.TerminalError("nope", { errorCode: 418 });
        });
      } catch {
        // The failure is journaled; the handler goes on.
      }
      ctx.clear("count");
      ctx.clearAll();
      return v;
    },
    get: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext) => (await ctx.get<number>("count")) ?? 0),
  },
});

/** `decide` runs first (a shared handler may), so `run` finds both promises settled: no race. */
export const journalWorkflow = restate.workflow({
  name: "JournalWorkflow",
  handlers: {
    run: async (ctx: restate.WorkflowContext, _input: string) => {
      const p = await ctx.promise<string>("p").get();
      let q: string | undefined;
      try {
        q = await ctx.promise<string>("q").peek();
      } catch (error) {
        q = (error as Error).message;
      }
      return `${p}/${q}`;
    },
    decide: restate.handlers.workflow.shared(async (ctx: restate.WorkflowSharedContext, v: string) => {
      await ctx.promise<string>("p").resolve(v);
      await ctx.promise<string>("q").reject("rej");
    }),
  },
});

export const JOURNAL_SERVICES = [journalGreeter, journalObject, journalWorkflow];

/** The requests of the scenario, in order (each a call that returns when its handler has ended). */
export const JOURNAL_CALLS: ReadonlyArray<readonly [path: string, body: unknown]> = [
  ["/JournalObject/k/all", 5],
  ["/JournalWorkflow/w1/decide", "yes"],
  ["/JournalWorkflow/w1/run", "in"],
];

/** The columns compared: those the CLI's `invocations describe` and the web UI's journal view read. */
export const journalQuery = (target: string): string =>
  `SELECT index, entry_type, name, completed, invoked_id, invoked_target, sleep_wakeup_at, promise_name, raw_length, version,
     entry_json, entry_lite_json FROM sys_journal WHERE id = (SELECT id FROM sys_invocation WHERE target = '${target}') ORDER BY index`;

/** Drops NULLs (Restate's JSON leaves them out) and replaces run-specific values with placeholders. */
export function normalizeJournalRows(rows: ReadonlyArray<Record<string, unknown>>): Array<Record<string, unknown>> {
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(row)) {
      if (value === null || value === undefined) continue;
      out[key] = key === "entry_json" || key === "entry_lite_json" ? placeholders(JSON.parse(String(value))) : value;
    }
    if (out["entry_type"] === "Command: Input") {
      // The ingress's own headers differ (Restate adds x-restate-ingress-path and keeps content-length).
      delete out["raw_length"];
      const input = (out["entry_json"] as { Command: { Input: { headers: unknown } } }).Command.Input;
      input.headers = "<headers>";
    }
    return out;
  });
}

function placeholders(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => placeholders(v));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, placeholders(v, k)]));
  }
  if (typeof value === "string" && /^inv_1[0-9A-Za-z]{33}$/.test(value)) return "<inv>";
  if (typeof value === "string" && /^sign_1/.test(value)) return "<awakeable>";
  if ((key === "wake_up_time" || key === "invoke_time") && value !== 0) return "<time>";
  return value;
}

const bytesOf = (s: string) => [...Buffer.from(s)];
const NO_SPAN = {
  span_context: { trace_id: new Array(16).fill(0), span_id: new Array(8).fill(0), trace_flags: 0, is_remote: false, trace_state: "" },
  cause: null,
};
const day = { secs: 86400, nanos: 0 };
const greet = { Service: { name: "JournalGreeter", handler: "greet", scope: null } };
const row = (index: number, entry_type: string, raw_length: number, entry_json: unknown, entry_lite_json: unknown, name?: string) => ({
  index,
  entry_type,
  ...(name === undefined ? {} : { name }),
  raw_length,
  version: 2,
  entry_json,
  entry_lite_json,
});
const command = (type: string, body: unknown) => ({ Command: { [type]: body } });
const completion = (type: string, body: unknown) => ({ Notification: { Completion: { [type]: body } } });
const lite = (type: string, id: number, result: string) => ({ Notification: { ty: { Completion: type }, id: { CompletionId: id }, result } });
const callRequest = (target: unknown, parameter: number[]) => ({
  invocation_id: "<inv>",
  invocation_target: target,
  span_context: NO_SPAN,
  parameter,
  headers: [],
  idempotency_key: null,
  completion_retention_duration: day,
  journal_retention_duration: day,
});

/** `JournalObject/k/all`, as restate-server 1.7.12 shows it (normalized). */
export const OBJECT_JOURNAL = [
  { index: 0, entry_type: "Command: Input", name: "", version: 2, entry_json: command("Input", { headers: "<headers>", payload: [53], name: "" }), entry_lite_json: command("Input", {}) },
  row(1, "Command: GetEagerState", 9, command("GetEagerState", { key: "count", result: "Void", name: "" }), command("GetEagerState", { key: "count", result: "Void" }), ""),
  row(2, "Command: SetState", 12, command("SetState", { key: "count", value: [53], name: "" }), command("SetState", { key: "count" }), ""),
  row(3, "Command: GetEagerStateKeys", 9, command("GetEagerStateKeys", { state_keys: ["count"], name: "" }), command("GetEagerStateKeys", {}), ""),
  row(4, "Command: Run", 8, command("Run", { completion_id: 3, name: "step" }), command("Run", { completion_id: 3, name: "step" }), "step"),
  row(5, "Notification: Run", 8, completion("Run", { completion_id: 3, result: { Success: bytesOf("42") } }), lite("Run", 3, "Success")),
  row(6, "Command: Sleep", 14, command("Sleep", { wake_up_time: "<time>", completion_id: 4, name: "nap" }), command("Sleep", { wake_up_time: "<time>", completion_id: 4, name: "nap" }), "nap"),
  row(7, "Notification: Sleep", 4, completion("Sleep", { completion_id: 4 }), lite("Sleep", 4, "Void")),
  row(
    8,
    "Command: Call",
    32,
    command("Call", { request: callRequest(greet, bytesOf('"x"')), invocation_id_completion_id: 5, result_completion_id: 6, name: "" }),
    command("Call", { invocation_id: "<inv>", invocation_target: greet, invocation_id_completion_id: 5, result_completion_id: 6 }),
    "",
  ),
  row(9, "Notification: CallInvocationId", 43, completion("CallInvocationId", { completion_id: 5, invocation_id: "<inv>" }), lite("CallInvocationId", 5, "InvocationId")),
  row(10, "Notification: Call", 12, completion("Call", { completion_id: 6, result: { Success: bytesOf('"hi x"') } }), lite("Call", 6, "Success")),
  row(
    11,
    "Command: OneWayCall",
    30,
    command("OneWayCall", { request: callRequest(greet, bytesOf('"y"')), invoke_time: 0, invocation_id_completion_id: 7, name: "" }),
    command("OneWayCall", { invocation_id: "<inv>", invocation_target: greet, invoke_time: 0, invocation_id_completion_id: 7 }),
    "",
  ),
  row(12, "Notification: CallInvocationId", 43, completion("CallInvocationId", { completion_id: 7, invocation_id: "<inv>" }), lite("CallInvocationId", 7, "InvocationId")),
  row(
    13,
    "Command: OneWayCall",
    37,
    command("OneWayCall", { request: callRequest(greet, bytesOf('"z"')), invoke_time: "<time>", invocation_id_completion_id: 8, name: "" }),
    command("OneWayCall", { invocation_id: "<inv>", invocation_target: greet, invoke_time: "<time>", invocation_id_completion_id: 8 }),
    "",
  ),
  row(14, "Notification: CallInvocationId", 43, completion("CallInvocationId", { completion_id: 8, invocation_id: "<inv>" }), lite("CallInvocationId", 8, "InvocationId")),
  row(
    15,
    "Command: Call",
    31,
    command("Call", {
      request: callRequest({ VirtualObject: { name: "JournalObject", key: "other", handler: "get", handler_ty: "Shared", scope: null } }, []),
      invocation_id_completion_id: 9,
      result_completion_id: 10,
      name: "",
    }),
    command("Call", {
      invocation_id: "<inv>",
      invocation_target: { VirtualObject: { name: "JournalObject", key: "other", handler: "get", handler_ty: "Shared", scope: null } },
      invocation_id_completion_id: 9,
      result_completion_id: 10,
    }),
    "",
  ),
  row(16, "Notification: CallInvocationId", 43, completion("CallInvocationId", { completion_id: 9, invocation_id: "<inv>" }), lite("CallInvocationId", 9, "InvocationId")),
  row(17, "Notification: Call", 7, completion("Call", { completion_id: 10, result: { Success: [48] } }), lite("Call", 10, "Success")),
  row(
    18,
    "Command: CompleteAwakeable",
    56,
    command("CompleteAwakeable", { id: "<awakeable>", result: { Success: bytesOf('"self"') }, name: "" }),
    command("CompleteAwakeable", { id: "<awakeable>", result: "Success" }),
    "",
  ),
  row(
    19,
    "Notification: Signal",
    12,
    { Notification: { Signal: { id: { Index: 17 }, result: { Success: bytesOf('"self"') } } } },
    { Notification: { ty: "Signal", id: { SignalIndex: 17 }, result: "Success" } },
  ),
  row(20, "Command: Run", 7, command("Run", { completion_id: 11, name: "bad" }), command("Run", { completion_id: 11, name: "bad" }), "bad"),
  row(21, "Notification: Run", 13, completion("Run", { completion_id: 11, result: { Failure: { code: 418, message: "nope" } } }), lite("Run", 11, "Failure")),
  row(22, "Command: ClearState", 7, command("ClearState", { key: "count", name: "" }), command("ClearState", { key: "count" }), ""),
  row(23, "Command: ClearAllState", 0, command("ClearAllState", { name: "" }), command("ClearAllState", {}), ""),
  row(24, "Command: Output", 5, command("Output", { result: { Success: [48] }, name: "" }), command("Output", { result: "Success" }), ""),
];

/** `JournalWorkflow/w1/decide`, then `run` (normalized). */
export const WORKFLOW_DECIDE_JOURNAL = [
  { index: 0, entry_type: "Command: Input", name: "", version: 2, entry_json: command("Input", { headers: "<headers>", payload: bytesOf('"yes"'), name: "" }), entry_lite_json: command("Input", {}) },
  row(1, "Command: CompletePromise", 14, command("CompletePromise", { key: "p", value: { Success: bytesOf('"yes"') }, completion_id: 1, name: "" }), command("CompletePromise", { key: "p", completion_id: 1 }), ""),
  row(2, "Notification: CompletePromise", 4, completion("CompletePromise", { completion_id: 1, result: "Void" }), lite("CompletePromise", 1, "Void")),
  row(
    3,
    "Command: CompletePromise",
    15,
    command("CompletePromise", { key: "q", value: { Failure: { code: 500, message: "rej" } }, completion_id: 2, name: "" }),
    command("CompletePromise", { key: "q", completion_id: 2 }),
    "",
  ),
  row(4, "Notification: CompletePromise", 4, completion("CompletePromise", { completion_id: 2, result: "Void" }), lite("CompletePromise", 2, "Void")),
  row(5, "Command: Output", 2, command("Output", { result: { Success: [] }, name: "" }), command("Output", { result: "Success" }), ""),
];

export const WORKFLOW_RUN_JOURNAL = [
  { index: 0, entry_type: "Command: Input", name: "", version: 2, entry_json: command("Input", { headers: "<headers>", payload: bytesOf('"in"'), name: "" }), entry_lite_json: command("Input", {}) },
  row(1, "Command: GetPromise", 5, command("GetPromise", { key: "p", completion_id: 1, name: "" }), command("GetPromise", { key: "p", completion_id: 1 }), ""),
  row(2, "Notification: GetPromise", 11, completion("GetPromise", { completion_id: 1, result: { Success: bytesOf('"yes"') } }), lite("GetPromise", 1, "Success")),
  row(3, "Command: PeekPromise", 5, command("PeekPromise", { key: "q", completion_id: 2, name: "" }), command("PeekPromise", { key: "q", completion_id: 2 }), ""),
  row(4, "Notification: PeekPromise", 12, completion("PeekPromise", { completion_id: 2, result: { Failure: { code: 500, message: "rej" } } }), lite("PeekPromise", 2, "Failure")),
  row(5, "Command: Output", 13, command("Output", { result: { Success: bytesOf('"yes/rej"') }, name: "" }), command("Output", { result: "Success" }), ""),
];

/** `raw` is the message without its 8-byte frame header: `ctx.run("step")` is these bytes on both servers. */
export const RUN_STEP_RAW_HEX = "5803620473746570";
