import * as restate from "@restatedev/restate-sdk";
import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { compileQuery } from "../../sqlite/query/compile-query.js";
import { registerQueryFunctions } from "../../sqlite/query/sqlite-functions.js";
import { installSystemViews } from "../../sqlite/query/system-views.js";
import { useStetWithServices } from "../helpers/stet-with-services.js";

// The system tables as views over a live store, read through a read-only connection beside the running
// engine, with the statements the official CLI sends (translated as /query will translate them).

const setup = useStetWithServices();

const greeter = restate.service({ name: "Greeter", handlers: { greet: async (_ctx: restate.Context, who: string) => `hi ${who}` } });
const counter = restate.object({
  name: "Counter",
  handlers: {
    add: async (ctx: restate.ObjectContext, n: number) => {
      const v = ((await ctx.get<number>("count")) ?? 0) + n;
      ctx.set("count", v);
      await ctx.run("step", () => 1);
      await ctx.serviceClient(greeter).greet("x");
      return v;
    },
  },
});

describe("system views over the store", () => {
  it("serve the CLI's queries from a read-only connection while the engine runs", async () => {
    const stet = await setup([greeter, counter]);
    expect(await (await stet.call("/Counter/k/add", 5)).json()).toBe(5);
    const reader = new BetterSqlite3(stet.node.dataDir.dbFile, { readonly: true });
    registerQueryFunctions(reader);
    installSystemViews(reader);
    reader.pragma("case_sensitive_like = ON");
    const run = async (sql: string) => reader.prepare((await compileQuery(sql, { now: Date.now() })).sql).all() as Record<string, unknown>[];

    const invocations = await run("SELECT target, target_service_ty, status, completion_result, invoked_by, journal_size, journal_commands_size FROM sys_invocation ORDER BY target");
    expect(invocations).toEqual([
      { target: "Counter/k/add", target_service_ty: "virtual_object", status: "completed", completion_result: "success", invoked_by: "ingress", journal_size: 9, journal_commands_size: 6 },
      { target: "Greeter/greet", target_service_ty: "service", status: "completed", completion_result: "success", invoked_by: "service", journal_size: 2, journal_commands_size: 2 },
    ]);
    const journal = await run(`SELECT sj.index, sj.entry_type, sj.name FROM sys_journal sj
      WHERE sj.id = (SELECT id FROM sys_invocation_status WHERE target_service_name = 'Counter') ORDER BY index`);
    expect(journal).toEqual([
      { index: 0, entry_type: "Command: Input", name: "" },
      { index: 1, entry_type: "Command: GetEagerState", name: "" },
      { index: 2, entry_type: "Command: SetState", name: "" },
      { index: 3, entry_type: "Command: Run", name: "step" },
      { index: 4, entry_type: "Notification: Run", name: null },
      { index: 5, entry_type: "Command: Call", name: "" },
      { index: 6, entry_type: "Notification: CallInvocationId", name: null },
      { index: 7, entry_type: "Notification: Call", name: null },
      { index: 8, entry_type: "Command: Output", name: "" },
    ]);
    expect(await run("select key, value from state where service_name = 'Counter' and service_key = 'k' ;")).toEqual([{ key: "count", value: Buffer.from("5") }]);
    expect(await run("SELECT name, ty FROM sys_service ORDER BY name")).toEqual([{ name: "Counter", ty: "virtual_object" }, { name: "Greeter", ty: "service" }]);
    const [deployment] = await run("SELECT id, endpoint, services FROM sys_deployment");
    expect(JSON.parse(deployment!["services"] as string).sort()).toEqual(["Counter", "Greeter"]);
    expect(await run("SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_name = 'sys_journal' AND column_name IN ('version', 'entry_json', 'appended_at')")).toEqual([{ n: 3 }]);

    // The engine keeps writing while the reader reads.
    expect(await (await stet.call("/Counter/k/add", 1)).json()).toBe(6);
    expect(await run("select value from state where service_name = 'Counter' and service_key = 'k'")).toEqual([{ value: Buffer.from("6") }]);
    reader.close();
  });
});
