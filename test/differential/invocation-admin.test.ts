import { describe, it } from "vitest";
import { differential, invocationStatus, noteStatus, pollUntil } from "./harness.js";
import { greeter, locker, startWaiting, stubborn, waiter } from "./services.js";

// Invocation management on the admin API (`PATCH /invocations/{id}/cancel|kill|purge|pause|resume`,
// the older `DELETE /invocations/{id}?mode=`): the same requests against stet and restate-server 1.7,
// equal records. `DiffWaiter/wait` stays suspended on an awakeable; `DiffStubborn/fail` backs off for a
// minute after each failure. Statuses are read through each server's own introspection (harness.ts).
const diff = differential([waiter, stubborn, greeter, locker]);

// A well-formed invocation id that neither server knows.
const UNKNOWN_ID = "inv_1hgbZ622b8d23cDtkaBIBxj15eXBQdlA9u";

describe("cancel and kill", () => {
  it("cancel a suspended invocation: 202, its result is 409 Cancelled; then purge it", () =>
    diff.compare(async (t) => {
      const w = await startWaiting(t, `cancel-${t.tag}`);
      await t.admin("PATCH", `/invocations/${w.invocationId}/cancel`);
      await t.get(`/restate/invocation/${w.invocationId}/attach`);
      await t.get(`/restate/invocation/${w.invocationId}/output`);
      await t.admin("PATCH", `/invocations/${w.invocationId}/cancel`, undefined, { label: "cancel again (completed)" });
      await t.admin("PATCH", `/invocations/${w.invocationId}/purge`);
      await t.get(`/restate/invocation/${w.invocationId}/output`, { label: "output after purge" });
      await t.admin("PATCH", `/invocations/${w.invocationId}/purge`, undefined, { label: "purge again" });
    }));

  it("kill a suspended invocation: 200, its result is 409 killed", () =>
    diff.compare(async (t) => {
      const w = await startWaiting(t, `kill-${t.tag}`);
      await t.admin("PATCH", `/invocations/${w.invocationId}/kill`);
      await t.get(`/restate/invocation/${w.invocationId}/attach`);
      await t.admin("PATCH", `/invocations/${w.invocationId}/kill`, undefined, { label: "kill again (completed)" });
    }));
});

describe("completed and unknown invocations", () => {
  it("pause and resume a completed invocation answer 409, purge 200; unknown ids 404, malformed 400", () =>
    diff.compare(async (t) => {
      const done = await t.call(`/DiffGreeter/greet`, "done");
      const id = done.invocationId!;
      await t.admin("PATCH", `/invocations/${id}/pause`, undefined, { label: "pause completed" });
      await t.admin("PATCH", `/invocations/${id}/resume`, undefined, { label: "resume completed" });
      // (restart-as-new, from the input and from a journal prefix: restart-as-new.test.ts.)
      await t.admin("PATCH", `/invocations/${id}/purge`, undefined, { label: "purge completed" });
      for (const op of ["cancel", "kill", "purge", "pause", "resume"]) {
        await t.admin("PATCH", `/invocations/${UNKNOWN_ID}/${op}`, undefined, { label: `${op} unknown` });
      }
      await t.admin("PATCH", `/invocations/bogus/cancel`, undefined, { label: "cancel malformed id" });
      await t.admin("DELETE", `/invocations/${UNKNOWN_ID}`, undefined, { label: "DELETE (deprecated) unknown" });
    }));
});

describe("pause and resume", () => {
  it("pause an invocation backing off, resume it, kill it", () =>
    diff.compare(async (t) => {
      const sent = await t.call(`/DiffStubborn/fail/send`);
      const id = sent.invocationId!;
      await noteStatus(t, id, "status after the first failure", "backing-off");
      await t.get(`/restate/invocation/${id}/output`);
      await t.admin("PATCH", `/invocations/${id}/resume`, undefined, { label: "resume backing-off (not paused)" });
      await noteStatus(t, id, "status after resume (not paused)", "backing-off");
      await t.admin("PATCH", `/invocations/${id}/pause`, undefined, { label: "pause backing-off" });
      await noteStatus(t, id, "status after pause", "paused");
      await t.admin("PATCH", `/invocations/${id}/purge`, undefined, { label: "purge paused (not completed)" });
      await t.admin("PATCH", `/invocations/${id}/resume`, undefined, { label: "resume paused" });
      // Resumed: it runs again at once, fails, and backs off.
      await noteStatus(t, id, "status after resume", "backing-off");
      await t.admin("PATCH", `/invocations/${id}/kill`, undefined, { label: "kill" });
      await t.get(`/restate/invocation/${id}/output`, { label: "output after kill" });
      await t.admin("PATCH", `/invocations/${id}/pause`, undefined, { label: "pause killed" });
    }));
});

describe("pause and resume of invocations that have not started", () => {
  it("a scheduled and an inboxed invocation: pause 409 and nothing changes, resume 425; each still runs when its turn comes", () =>
    diff.compare(async (t) => {
      const scheduled = (await t.call(`/DiffGreeter/greet/send?delay=1h`, "later")).invocationId!;
      // `DiffLocker/hold` holds its key's lock while it sleeps: the key's next call waits in the inbox.
      const holder = (await t.call(`/DiffLocker/l-${t.tag}/hold/send`, 3_600_000)).invocationId!;
      await pollUntil(async () => {
        const status = await invocationStatus(t, holder);
        return status === "running" || status === "suspended" ? status : undefined;
      }, "the lock holder to run");
      const inboxed = (await t.call(`/DiffLocker/l-${t.tag}/hold/send`, 1)).invocationId!;
      await noteStatus(t, inboxed, "status of the key's second call", "pending");
      for (const [label, id] of [["scheduled", scheduled], ["inboxed", inboxed]] as const) {
        await t.admin("PATCH", `/invocations/${id}/pause`, undefined, { label: `pause ${label}` });
        t.note(`status of the ${label} after pause`, await invocationStatus(t, id));
        await t.admin("PATCH", `/invocations/${id}/resume`, undefined, { label: `resume ${label}` });
      }
      await t.admin("POST", "/internal/invocations_batch_operations/pause", { invocation_ids: [inboxed, scheduled] }, { label: "batch pause" });
      // The holder gone, the inboxed call takes the lock and runs (a 1 ms sleep): it was never paused.
      await t.admin("PATCH", `/invocations/${holder}/kill`, undefined, { label: "kill the lock holder" });
      await t.get(`/restate/invocation/${inboxed}/attach`, { label: "attach the inboxed call" });
      await t.admin("PATCH", `/invocations/${scheduled}/kill`, undefined, { label: "kill scheduled" });
    }));
});

describe("DELETE /invocations/{id}?mode=", () => {
  it("cancel (the default), kill and purge through the older route: 202 whatever the state", () =>
    diff.compare(async (t) => {
      const c = await startWaiting(t, `delete-cancel-${t.tag}`);
      await t.admin("DELETE", `/invocations/${c.invocationId}?mode=cancel`, undefined, { label: "DELETE mode=cancel" });
      await t.get(`/restate/invocation/${c.invocationId}/attach`);
      await t.admin("DELETE", `/invocations/${c.invocationId}`, undefined, { label: "DELETE no mode (completed)" });
      const k = await startWaiting(t, `delete-kill-${t.tag}`);
      await t.admin("DELETE", `/invocations/${k.invocationId}?mode=kill`, undefined, { label: "DELETE mode=kill" });
      await t.get(`/restate/invocation/${k.invocationId}/attach`);
      await t.admin("DELETE", `/invocations/${k.invocationId}?mode=purge`, undefined, { label: "DELETE mode=purge" });
      await t.get(`/restate/invocation/${k.invocationId}/output`, { label: "output after purge" });
      const d = await startWaiting(t, `delete-default-${t.tag}`);
      await t.admin("DELETE", `/invocations/${d.invocationId}`, undefined, { label: "DELETE no mode (running)" });
      await t.get(`/restate/invocation/${d.invocationId}/attach`);
      // (An unknown mode answers 400 in both, in another shape: known-differences.ts.)
    }));
});

describe("restart as new", () => {
  it("restarts a completed invocation under a new id with the same input", () =>
    diff.compare(async (t) => {
      const done = await t.call(`/DiffGreeter/greet`, "again");
      const restarted = await t.admin("PATCH", `/invocations/${done.invocationId}/restart-as-new`);
      const newId = (restarted.json as { new_invocation_id?: string } | undefined)?.new_invocation_id;
      if (newId !== undefined) await t.get(`/restate/invocation/${newId}/attach`);
    }));
});
