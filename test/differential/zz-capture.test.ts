import { writeFileSync } from "node:fs";
import { it } from "vitest";
import { differential, type Scenario } from "./harness.js";
import { greeter } from "./services.js";
import { counter, objectScenarios } from "./pending-objects.js";
import { approvalFlow, workflowScenarios } from "./pending-workflows.js";
import { ticketer, idempotencyScenarios } from "./pending-idempotency.js";
import { sleeper, timerScenarios } from "./pending-timers.js";
import { caller, callScenarios } from "./pending-calls.js";
import { waiter, awakeableScenarios } from "./pending-awakeables.js";
import { stubborn, invocationAdminScenarios, queryStatus } from "./pending-invocation-admin.js";

const diff = differential([greeter, counter, approvalFlow, ticketer, sleeper, caller, waiter, stubborn]);
const all: Record<string, Record<string, Scenario>> = { objectScenarios, workflowScenarios, idempotencyScenarios, timerScenarios, callScenarios, awakeableScenarios, invocationAdminScenarios };
const out: Record<string, unknown> = {};
for (const [group, scenarios] of Object.entries(all)) {
  for (const [name, scenario] of Object.entries(scenarios)) {
    it(`${group}.${name}`, async () => {
      try { out[`${group}.${name}`] = await diff.restateRecord(scenario); }
      catch (e) { out[`${group}.${name}`] = { error: String(e) }; }
      writeFileSync("/tmp/diffx/capture.json", JSON.stringify(out, null, 1));
    }, 60_000);
  }
}
it("query", async () => {
  out["query"] = await diff.restateRecord(async (t) => {
    const s = await t.call("/DiffStubborn/fail/send");
    await new Promise((r) => setTimeout(r, 500));
    await queryStatus(t, s.invocationId!, "status");
    await t.admin("PATCH", `/invocations/${s.invocationId}/pause`);
    await new Promise((r) => setTimeout(r, 500));
    await queryStatus(t, s.invocationId!, "status after pause");
    await t.admin("PATCH", `/invocations/${s.invocationId}/resume`);
    await new Promise((r) => setTimeout(r, 500));
    await queryStatus(t, s.invocationId!, "status after resume");
    await t.admin("PATCH", `/invocations/${s.invocationId}/kill`);
  });
  writeFileSync("/tmp/diffx/capture.json", JSON.stringify(out, null, 1));
});
