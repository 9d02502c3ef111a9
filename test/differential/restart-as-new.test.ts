import { describe, it } from "vitest";
import { formatAwakeableId, parseAwakeableId, parseInvocationId } from "../../protocol/index.js";
import { restartServices } from "../helpers/restart-services.js";
import { differential, pollUntil, type Target } from "./harness.js";

// `PATCH /invocations/{id}/restart-as-new?from=N&deployment=` against stet and restate-server 1.7:
// which steps the new invocation runs again (side effects counted per server), its result, and the
// refusals. One endpoint serves both servers, so counters and awakeables are kept per target tag.
const { steps, counter, flow, sideEffects, awakeables } = restartServices("Diff");

const diff = differential([steps, counter, flow]);

/** Restarts `id` with `query`, then attaches to the new invocation (when there is one). */
async function restartAndAttach(t: Target, id: string, query: string): Promise<string | undefined> {
  const res = await t.admin("PATCH", `/invocations/${id}/restart-as-new${query}`, undefined, { label: `restart-as-new${query}` });
  const newId = (res.json as { new_invocation_id?: string } | undefined)?.new_invocation_id;
  if (newId !== undefined) await t.get(`/restate/invocation/${newId}/attach`, { label: `attach the restarted one (${query})` });
  return newId;
}

const counted = (t: Target, tag: string) => [1, 2, 3].map((step) => sideEffects.get(`${t.tag}-${tag}:${step}`) ?? 0);

describe("restart-as-new from a journal prefix", () => {
  it("replays the copied entries and runs only the steps after them", () =>
    diff.compare(async (t) => {
      const first = await t.call("/DiffSteps/three", `${t.tag}-p`);
      const id = first.invocationId!;
      for (const query of ["?from=4", "?from=1", "?from=2&deployment=latest", "?from=7&deployment=keep", "?from=0"]) {
        await restartAndAttach(t, id, query);
        t.note(`side effects of steps 1, 2, 3 after ${query}`, counted(t, "p"));
      }
      await t.get(`/restate/invocation/${id}/attach`, { label: "the original is unchanged" });
    }));

  it("refuses a range past the end, a cut-off command, bad `from` and `deployment` values", () =>
    diff.compare(async (t) => {
      const id = (await t.call("/DiffSteps/three", `${t.tag}-r`)).invocationId!;
      for (const query of ["?from=8", "?from=100", "?from=4294967295", "?from=2&deployment=bogus", "?from=2&deployment=", "?from=100&deployment=dp_14LsPzX2jQ2F0CfcfZ0ZJ9F"]) {
        await t.admin("PATCH", `/invocations/${id}/restart-as-new${query}`, undefined, { label: `restart-as-new${query}` });
      }
      // Restate's query-string errors are text/plain (known-differences.ts: admin request errors).
      for (const query of ["?from=-1", "?from=abc", "?from=", "?from=4294967296"]) {
        await t.admin("PATCH", `/invocations/${id}/restart-as-new${query}`, undefined, { label: `restart-as-new${query}`, compare: "status-only" });
      }
      const raced = (await t.call("/DiffSteps/racer")).invocationId!;
      for (const query of ["?from=1", "?from=3", "?from=0"]) await restartAndAttach(t, raced, query);
    }));

  it("objects: a copied state write is not applied again; one after the prefix runs on the current state", () =>
    diff.compare(async (t) => {
      const first = (await t.call(`/DiffCounter/${t.tag}/add`, 5)).invocationId!;
      await t.call(`/DiffCounter/${t.tag}/add`, 5);
      await restartAndAttach(t, first, "?from=2");
      await t.call(`/DiffCounter/${t.tag}/get`, undefined, { label: "state after a restart past the write" });
      await restartAndAttach(t, first, "?from=1");
      await t.call(`/DiffCounter/${t.tag}/get`, undefined, { label: "state after a restart before the write" });
      t.note("side effects", sideEffects.get(`counter:${t.tag}`));
    }));

  it("a signal is copied only inside the prefix: without it, the new invocation awaits its own awakeable", () =>
    diff.compare(async (t) => {
      const tag = `${t.tag}-s`;
      const sent = (await t.call("/DiffSteps/awaitResolution/send", tag)).invocationId!;
      const awakeable = await pollUntil(() => awakeables.get(tag), "the awakeable");
      await t.call(`/restate/awakeables/${awakeable}/resolve`, "first");
      await t.get(`/restate/invocation/${sent}/attach`);
      await restartAndAttach(t, sent, "?from=3");
      const res = await t.admin("PATCH", `/invocations/${sent}/restart-as-new?from=2`, undefined, { label: "restart-as-new?from=2" });
      const waiting = (res.json as { new_invocation_id: string }).new_invocation_id;
      const own = formatAwakeableId(parseInvocationId(waiting), parseAwakeableId(awakeable).signalIndex);
      await t.call(`/restate/awakeables/${own}/resolve`, "second", { label: "resolve the new invocation's awakeable" });
      await t.get(`/restate/invocation/${waiting}/attach`);
    }));

  it("refuses workflows (422), running (409) and scheduled (425) invocations; idempotency keys stay with the original", () =>
    diff.compare(async (t) => {
      const run = (await t.call(`/DiffFlow/${t.tag}/run`)).invocationId!;
      const peek = (await t.call(`/DiffFlow/${t.tag}/peek`)).invocationId!;
      await t.admin("PATCH", `/invocations/${run}/restart-as-new`, undefined, { label: "restart a workflow run" });
      await t.admin("PATCH", `/invocations/${peek}/restart-as-new?from=1`, undefined, { label: "restart a workflow's shared handler" });
      const slow = (await t.call("/DiffSteps/slow/send")).invocationId!;
      await t.admin("PATCH", `/invocations/${slow}/restart-as-new?from=1`, undefined, { label: "restart a running one" });
      await t.admin("PATCH", `/invocations/${slow}/kill`);
      const later = (await t.call("/DiffSteps/three/send?delay=1h", `${t.tag}-later`)).invocationId!;
      await t.admin("PATCH", `/invocations/${later}/restart-as-new`, undefined, { label: "restart a scheduled one" });
      await t.admin("PATCH", `/invocations/${later}/kill`);
      const keyed = (await t.call("/DiffSteps/three", `${t.tag}-i`, { headers: { "idempotency-key": `once-${t.tag}` } })).invocationId!;
      await restartAndAttach(t, keyed, "?from=2");
      await t.call("/DiffSteps/three", `${t.tag}-i`, { headers: { "idempotency-key": `once-${t.tag}` }, label: "the key names the original" });
    }));

  it("the batch route restarts from the input whatever the body says, on the deployment chosen", () =>
    diff.compare(async (t) => {
      const raced = (await t.call("/DiffSteps/racer")).invocationId!;
      const batch = "/internal/invocations_batch_operations/restart-as-new";
      const res = await t.admin("POST", batch, { invocation_ids: [raced], from: 3 }, { label: "batch with a `from` (ignored)" });
      const item = (res.json as { succeeded: Array<{ new_invocation_id: string }> }).succeeded[0];
      if (item !== undefined) await t.get(`/restate/invocation/${item.new_invocation_id}/attach`);
      await t.admin("POST", batch, { invocation_ids: [raced], deployment: "dp_14LsPzX2jQ2F0CfcfZ0ZJ9F" }, { label: "batch with an unknown deployment" });
      await t.admin("POST", batch, { invocation_ids: [raced], deployment: "" }, { label: "batch with an empty deployment" });
    }));
});
