import * as restate from "@restatedev/restate-sdk";
import type { Scenario } from "./harness.js";

/**
 * PENDING (workflows, durable promises). Wire in a `*.test.ts` with `differential([approvalFlow])` once
 * stet agrees. Comments: what restate-server 1.7.12 answered. At stet HEAD 7f64d86 they differ: a
 * blocking `run` on a completed workflow answers 200 with the old result (restate: 409 `the workflow
 * method was already invoked`), `promise already completed` (restate: `promise was already completed`),
 * the void `decide` has a content-type, the 470 message/header, attach of an unknown key, bad paths.
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
  /**
   * restate-server:
   * - run/send → 202 `{invocationId, status: "Accepted"}`; the same again while it runs → 202 with the
   *   SAME id and `status: "PreviouslyAccepted"`.
   * - `/restate/workflow/{name}/{key}/output` while running → 470, no x-restate-id, `the invocation
   *   exists but has not completed yet`.
   * - shared handlers run meanwhile: peek → 200 `null`; decide (resolves the promise) → 200, no
   *   content-type, empty body.
   * - workflow attach and output → 200 `"order-1: approved"`, x-restate-id = the run's id.
   * - after completion: `run` (blocking) → 409, source invocation, x-restate-id = the ORIGINAL run's
   *   id, `the workflow method was already invoked`; run/send → 202 PreviouslyAccepted, original id.
   * - resolving the completed promise again (decide) → 409 source invocation `promise was already
   *   completed` (x-restate-id of that shared-handler invocation).
   */
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

  /**
   * restate-server:
   * - attach of a key never run → 404, source invocation, WITH an x-restate-id, `not found`; output →
   *   404 source ingress, no x-restate-id, `invocation not found`.
   * - attach on an unregistered workflow name → the same 404 `not found` (no service check).
   * - `/restate/workflow/DiffWorkflow/k` → 400 `bad path, expected either
   *   /restate/workflow/:workflow_name/:workflow_key/output or
   *   /restate/workflow/:workflow_name/:workflow_key/attach`.
   * - POST on `/restate/workflow/…/output` → 405 `method not allowed`.
   * - `/DiffWorkflow/run` (no key) → 400 `bad path, expected either /:service-name/:handler or
   *   /:object-name/:object-key/:handler`.
   */
  unknownAndBadPaths: (async (t) => {
    await t.get(`/restate/workflow/DiffWorkflow/nobody-${t.tag}/attach`);
    await t.get(`/restate/workflow/DiffWorkflow/nobody-${t.tag}/output`);
    await t.get(`/restate/workflow/Nope/k/attach`);
    await t.get(`/restate/workflow/DiffWorkflow/k`);
    await t.call(`/restate/workflow/DiffWorkflow/k/output`);
    await t.call(`/DiffWorkflow/run`, "x");
  }) satisfies Scenario,

  /**
   * restate-server: the blocking run → 200 `"first: ok"`; run again with the same key → 409 source
   * invocation `the workflow method was already invoked`, x-restate-id = the first run's id.
   */
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
