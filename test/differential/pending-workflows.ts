import * as restate from "@restatedev/restate-sdk";
import type { Scenario } from "./harness.js";

/**
 * PENDING (workflows, durable promises): not run yet. Wire in a `*.test.ts` with
 * `differential([approvalFlow])` when workflows land. Comments: what restate-server 1.7.12 answered.
 */

export const approvalFlow = restate.workflow({
  name: "DiffWorkflow",
  handlers: {
    run: async (ctx: restate.WorkflowContext, input: string) => {
      const decision = await ctx.promise<string>("decision");
      return `${input}: ${decision}`;
    },
    decide: restate.handlers.workflow.shared(async (ctx: restate.WorkflowSharedContext, decision: string) => {
      await ctx.promise<string>("decision").resolve(decision);
    }),
    peek: restate.handlers.workflow.shared(
      async (ctx: restate.WorkflowSharedContext) => (await ctx.promise<string>("decision").peek()) ?? null,
    ),
  },
});

export const workflowScenarios = {
  /** restate-server: see RESTATE-FACTS.md (workflows). */
  runOnceAndAttach: (async (t) => {
    const key = `w-${t.tag}`;
    await t.call(`/DiffWorkflow/${key}/run/send`, "order-1");
    // A second submission with the same key while the first still runs.
    await t.call(`/DiffWorkflow/${key}/run/send`, "order-1");
    await t.get(`/restate/workflow/DiffWorkflow/${key}/output`);
    await t.call(`/DiffWorkflow/${key}/peek`);
    await t.call(`/DiffWorkflow/${key}/decide`, "approved");
    await t.get(`/restate/workflow/DiffWorkflow/${key}/attach`);
    await t.get(`/restate/workflow/DiffWorkflow/${key}/output`);
    await t.call(`/DiffWorkflow/${key}/peek`);
    // After completion: `run` again (blocking and send) with the same key.
    await t.call(`/DiffWorkflow/${key}/run`, "order-2");
    await t.call(`/DiffWorkflow/${key}/run/send`, "order-2");
    // Shared handlers keep working on a completed workflow.
    await t.call(`/DiffWorkflow/${key}/decide`, "rejected");
  }) satisfies Scenario,

  /** restate-server: see RESTATE-FACTS.md (workflows). */
  unknownAndBadPaths: (async (t) => {
    await t.get(`/restate/workflow/DiffWorkflow/nobody-${t.tag}/attach`);
    await t.get(`/restate/workflow/DiffWorkflow/nobody-${t.tag}/output`);
    await t.get(`/restate/workflow/Nope/k/attach`);
    await t.get(`/restate/workflow/DiffWorkflow/k`);
    await t.call(`/restate/workflow/DiffWorkflow/k/output`);
    await t.call(`/DiffWorkflow/run`, "x");
  }) satisfies Scenario,

  /** restate-server: see RESTATE-FACTS.md (workflows). */
  blockingRunTwice: (async (t) => {
    const key = `b-${t.tag}`;
    const first = t.call(`/DiffWorkflow/${key}/run`, "first");
    // Wait until the run is registered before resolving its promise.
    await t.call(`/DiffWorkflow/${key}/peek`, undefined, { label: "peek (may race the run)", compare: "status-only" });
    await t.call(`/DiffWorkflow/${key}/decide`, "ok");
    await first;
    await t.call(`/DiffWorkflow/${key}/run`, "second");
  }) satisfies Scenario,
};
