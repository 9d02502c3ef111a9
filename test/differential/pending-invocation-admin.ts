import * as restate from "@restatedev/restate-sdk";
import { type Scenario } from "./harness.js";
import { startWaiting, waiter } from "./pending-awakeables.js";
import { greeter } from "./services.js";

/**
 * PENDING (admin invocation management: cancel, kill, purge, pause, resume, restart-as-new): stet has no
 * `/invocations` admin routes yet. Wire in with `differential(invocationAdminServices)`. Invocations
 * parked on an awakeable are "running" (suspended) in a way cancellation reaches; `DiffStubborn` fails
 * retryably with a long backoff so it is found "backing-off". Comments: what restate-server 1.7.12
 * answered.
 */

export const stubborn = restate.service({
  name: "DiffStubborn",
  handlers: {
    fail: async (): Promise<string> => {
      throw new Error("always failing");
    },
  },
  options: { retryPolicy: { initialInterval: 60_000, maxInterval: 60_000 } },
});

export const invocationAdminServices = [waiter, stubborn, greeter];

const UNKNOWN_ID = "inv_1hgbZ622b8d23cDtkaBIBxj15eXBQdlA9u";

/** The invocation's status through restate's SQL introspection (`POST /query`), if the server has it. */
export async function queryStatus(t: Parameters<Scenario>[0], id: string, label: string): Promise<void> {
  await t.admin("POST", "/query", { query: `SELECT status FROM sys_invocation WHERE id = '${id}'` }, { label, headers: { accept: "application/json" } });
}

export const invocationAdminScenarios = {
  /** restate-server: see RESTATE-FACTS.md (admin invocations). */
  cancelRunning: (async (t) => {
    const w = await startWaiting(t, `cancel-${t.tag}`);
    await t.admin("PATCH", `/invocations/${w.invocationId}/cancel`);
    await t.get(`/restate/invocation/${w.invocationId}/attach`);
    await t.get(`/restate/invocation/${w.invocationId}/output`);
    await t.admin("PATCH", `/invocations/${w.invocationId}/cancel`, undefined, { label: "cancel again (completed)" });
    await t.admin("PATCH", `/invocations/${w.invocationId}/purge`);
    await t.get(`/restate/invocation/${w.invocationId}/output`, { label: "output after purge" });
    await t.admin("PATCH", `/invocations/${w.invocationId}/purge`, undefined, { label: "purge again" });
  }) satisfies Scenario,

  /** restate-server: see RESTATE-FACTS.md (admin invocations). */
  killRunning: (async (t) => {
    const w = await startWaiting(t, `kill-${t.tag}`);
    await t.admin("PATCH", `/invocations/${w.invocationId}/kill`);
    await t.get(`/restate/invocation/${w.invocationId}/attach`);
    await t.admin("PATCH", `/invocations/${w.invocationId}/kill`, undefined, { label: "kill again (completed)" });
  }) satisfies Scenario,

  /** restate-server: see RESTATE-FACTS.md (admin invocations). */
  completedAndUnknown: (async (t) => {
    const done = await t.call(`/DiffGreeter/greet`, "done");
    const id = done.invocationId!;
    await t.admin("PATCH", `/invocations/${id}/pause`, undefined, { label: "pause completed" });
    await t.admin("PATCH", `/invocations/${id}/resume`, undefined, { label: "resume completed" });
    await t.admin("PATCH", `/invocations/${id}/restart-as-new`, undefined, { label: "restart-as-new completed" });
    await t.admin("PATCH", `/invocations/${id}/purge`, undefined, { label: "purge completed" });
    for (const op of ["cancel", "kill", "purge", "pause", "resume"]) {
      await t.admin("PATCH", `/invocations/${UNKNOWN_ID}/${op}`, undefined, { label: `${op} unknown` });
    }
    await t.admin("PATCH", `/invocations/bogus/cancel`, undefined, { label: "cancel malformed id" });
    await t.admin("DELETE", `/invocations/${UNKNOWN_ID}`, undefined, { label: "DELETE (deprecated) unknown" });
    await t.admin("GET", `/invocations/${UNKNOWN_ID}`, undefined, { label: "GET invocation" });
  }) satisfies Scenario,

  /** restate-server: see RESTATE-FACTS.md (admin invocations). */
  pauseResume: (async (t) => {
    const sent = await t.call(`/DiffStubborn/fail/send`);
    const id = sent.invocationId!;
    await t.get(`/restate/invocation/${id}/output`);
    await t.admin("PATCH", `/invocations/${id}/resume`, undefined, { label: "resume backing-off (not paused)" });
    await t.admin("PATCH", `/invocations/${id}/pause`, undefined, { label: "pause backing-off" });
    await t.admin("PATCH", `/invocations/${id}/pause`, undefined, { label: "pause again" });
    await t.admin("PATCH", `/invocations/${id}/purge`, undefined, { label: "purge paused (not completed)" });
    await t.admin("PATCH", `/invocations/${id}/resume`, undefined, { label: "resume paused" });
    await t.admin("PATCH", `/invocations/${id}/kill`, undefined, { label: "kill" });
    await t.get(`/restate/invocation/${id}/output`, { label: "output after kill" });
    await t.admin("PATCH", `/invocations/${id}/pause`, undefined, { label: "pause killed" });
  }) satisfies Scenario,
};
