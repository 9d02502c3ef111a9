import * as restate from "@restatedev/restate-sdk";
import { type Scenario } from "./harness.js";
import { startWaiting, waiter } from "./pending-awakeables.js";
import { greeter } from "./services.js";

/**
 * PENDING (admin invocation management: cancel, kill, purge, pause, resume, restart-as-new): stet HEAD
 * 7f64d86 has no `/invocations` admin routes. Wire in with `differential(invocationAdminServices)`.
 * Invocations parked on an awakeable are "running" (suspended) in a way cancellation reaches;
 * `DiffStubborn` fails retryably with a long backoff so it is found "backing-off". Comments: what
 * restate-server 1.7.12 answered.
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
  /**
   * restate-server: cancel a running (suspended) invocation → 202, empty body; attach and output → 409
   * source invocation `Cancelled`, x-restate-id; cancel again → 409 admin JSON
   * `{"message":"The invocation '<id>' was already completed.","restate_code":null}`; purge → 200 empty;
   * output after purge → 404 ingress `invocation not found`; purge again → 404 `The requested invocation
   * '<id>' does not exist`.
   */
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

  /**
   * restate-server: kill a running invocation → 200 (not 202), empty body; attach → 409 source
   * invocation `killed`; kill again → 409 `The invocation '<id>' was already completed.`
   */
  killRunning: (async (t) => {
    const w = await startWaiting(t, `kill-${t.tag}`);
    await t.admin("PATCH", `/invocations/${w.invocationId}/kill`);
    await t.get(`/restate/invocation/${w.invocationId}/attach`);
    await t.admin("PATCH", `/invocations/${w.invocationId}/kill`, undefined, { label: "kill again (completed)" });
  }) satisfies Scenario,

  /**
   * restate-server, on a completed invocation: pause → 409 `The invocation '<id>' is not running, cannot
   * be paused.`; resume → 409 `The invocation '<id>' is completed, cannot be resumed.`; restart-as-new →
   * 200 `{"new_invocation_id":"inv_1…"}`; purge → 200 empty.
   * On an unknown id every op → 404 `The requested invocation '<id>' does not exist`; a malformed id →
   * 400 `The request field 'invocation_id' is invalid. Reason: bad format`; the deprecated
   * `DELETE /invocations/{id}` → 202 empty even for an unknown id; `GET /invocations/{id}` → 405 empty.
   * Admin error bodies are `{"message", "restate_code": null}`, content-type application/json.
   */
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

  /**
   * restate-server, on an invocation backing off after a retryable failure: output → 470; resume (not
   * paused) → 200; pause → 202 (a second pause answers 202 while the first is being applied, 200
   * once the invocation is paused: timing-dependent, so not in the scenario); purge (not completed) → 409 `The invocation '<id>' is
   * not yet completed.`; resume → 200; kill → 200; output → 409 source invocation `killed`; pause the
   * killed one → 409 `… is not running, cannot be paused.` Via `POST /query` (sys_invocation.status):
   * `backing-off` → after pause `paused` → after resume `backing-off`.
   */
  pauseResume: (async (t) => {
    const sent = await t.call(`/DiffStubborn/fail/send`);
    const id = sent.invocationId!;
    await t.get(`/restate/invocation/${id}/output`);
    await t.admin("PATCH", `/invocations/${id}/resume`, undefined, { label: "resume backing-off (not paused)" });
    await t.admin("PATCH", `/invocations/${id}/pause`, undefined, { label: "pause backing-off" });
    await t.admin("PATCH", `/invocations/${id}/purge`, undefined, { label: "purge paused (not completed)" });
    await t.admin("PATCH", `/invocations/${id}/resume`, undefined, { label: "resume paused" });
    await t.admin("PATCH", `/invocations/${id}/kill`, undefined, { label: "kill" });
    await t.get(`/restate/invocation/${id}/output`, { label: "output after kill" });
    await t.admin("PATCH", `/invocations/${id}/pause`, undefined, { label: "pause killed" });
  }) satisfies Scenario,
};
