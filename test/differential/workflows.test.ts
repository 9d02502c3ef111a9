import { describe, it } from "vitest";
import { differential } from "./harness.js";
import { approvalFlow, notebook } from "./services.js";

// Workflows and their durable promises: the same requests against stet and restate-server 1.7, equal
// records. `DiffWorkflow/run` waits on the promise `decision`, which the shared `decide` resolves.
const diff = differential([approvalFlow, notebook]);

describe("workflows", () => {
  it("run once per key; shared handlers run beside it; attach and output by workflow key", () =>
    diff.compare(async (t) => {
      const key = `w-${t.tag}`;
      await t.call(`/DiffWorkflow/${key}/run/send`, "order-1");
      // Again while it runs: the same id, PreviouslyAccepted.
      await t.call(`/DiffWorkflow/${key}/run/send`, "order-1");
      await t.get(`/restate/workflow/DiffWorkflow/${key}/output`, { label: "output while running" });
      await t.call(`/DiffWorkflow/${key}/peek`);
      // Void: 200, no content-type, empty body.
      await t.call(`/DiffWorkflow/${key}/decide`, "approved");
      await t.get(`/restate/workflow/DiffWorkflow/${key}/attach`);
      await t.get(`/restate/workflow/DiffWorkflow/${key}/output`);
      await t.call(`/DiffWorkflow/${key}/peek`);
      // After completion: a blocking run is a 409 naming the original run; a send is PreviouslyAccepted.
      await t.call(`/DiffWorkflow/${key}/run`, "order-2");
      await t.call(`/DiffWorkflow/${key}/run/send`, "order-2");
      // Resolving the completed promise again: 409 (its message differs: known-differences.ts).
      await t.call(`/DiffWorkflow/${key}/decide`, "rejected");
    }));

  it("a second blocking run with the same key answers 409 with the first run's id", () =>
    diff.compare(async (t) => {
      const key = `b-${t.tag}`;
      const first = t.call(`/DiffWorkflow/${key}/run`, "first");
      // The shared handler may run before or after the run was registered: status only.
      await t.call(`/DiffWorkflow/${key}/peek`, undefined, { label: "peek (may race the run)", compare: "status-only" });
      await t.call(`/DiffWorkflow/${key}/decide`, "ok");
      await first;
      await t.call(`/DiffWorkflow/${key}/run`, "second");
    }));

  it("output of a key never run, and paths that do not fit", () =>
    diff.compare(async (t) => {
      // (Attach of a key never run differs: known-differences.ts.)
      await t.get(`/restate/workflow/DiffWorkflow/nobody-${t.tag}/output`);
      await t.get(`/restate/workflow/DiffWorkflow/k`);
      await t.call(`/restate/workflow/DiffWorkflow/k/output`);
      await t.call(`/DiffWorkflow/run`, "x");
    }));

  it("purging a workflow's run clears the workflow's state and promises: a new run starts afresh", () =>
    diff.compare(async (t) => {
      const key = `p-${t.tag}`;
      const run = (await t.call(`/DiffNotebook/${key}/run/send`, "one")).invocationId!;
      await t.call(`/DiffNotebook/${key}/finish`, "ok");
      await t.get(`/restate/workflow/DiffNotebook/${key}/attach`);
      await t.call(`/DiffNotebook/${key}/read`, undefined, { label: "read before purge" });
      await t.admin("PATCH", `/invocations/${run}/purge`);
      await t.call(`/DiffNotebook/${key}/read`, undefined, { label: "read after purge" });
      await t.get(`/restate/workflow/DiffNotebook/${key}/output`, { label: "output after purge" });
      // A new run under the same key: it waits for a `done` of its own.
      await t.call(`/DiffNotebook/${key}/run/send`, "two", { label: "run again" });
      await t.call(`/DiffNotebook/${key}/finish`, "again");
      await t.get(`/restate/workflow/DiffNotebook/${key}/attach`, { label: "attach the new run" });
    }));
});
