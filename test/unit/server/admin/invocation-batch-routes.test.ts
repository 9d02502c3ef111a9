import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandResult, ControlOp, InvocationRecord, InvocationStatus } from "../../../../partition/index.js";
import { newDeploymentId, newInvocationId, randomPartitionKey, type InvocationId } from "../../../../protocol/index.js";
import { buildAdminApp, type InvocationControl } from "../../../../server/admin/index.js";
import { invocationRecord } from "./invocation-records.js";
import type { DeploymentRegistry } from "../../../../server/registry/index.js";

// The web UI's batch operations over a fake engine that applies kill, cancel, purge, pause, resume and
// restart-as-new to records in a map. Wording and statuses are restate-server 1.7.12's.

const serving = newDeploymentId();

/** An invocation that ran on `serving` (at protocol v6), or will. */
function record(status: InvocationStatus): InvocationRecord {
  return invocationRecord({ status, pinned: { deploymentId: serving, protocolVersion: 6 } });
}

class FakeEngine implements InvocationControl {
  readonly records = new Map<string, InvocationRecord>();
  readonly calls: Array<[ControlOp, InvocationId]> = [];
  /** The deployment each resume was asked to move its invocation to (undefined: none). */
  readonly moves: Array<string | undefined> = [];
  /** Ids whose command the partition does not apply (not led right now). */
  readonly unavailable = new Set<string>();

  add(status: InvocationStatus): InvocationId {
    const r = record(status);
    this.records.set(r.id, r);
    return r.id;
  }
  getInvocation(id: string): InvocationRecord | undefined {
    return this.records.get(id);
  }
  async control(op: ControlOp, id: InvocationId, deployment?: string): Promise<CommandResult> {
    this.calls.push([op, id]);
    if (op === "resume") this.moves.push(deployment);
    await Promise.resolve();
    if (this.unavailable.has(id)) return { applied: false };
    const r = this.records.get(id)!;
    const set = (status: InvocationStatus) => this.records.set(id, { ...r, status });
    if (op === "kill" || op === "cancel") set("completed");
    if (op === "pause") set("paused");
    if (op === "resume") set("invoked");
    if (op === "purge") this.records.delete(id);
    return { applied: true };
  }
  readonly restarts: Array<[InvocationId, number]> = [];
  async restartAsNew(id: InvocationId, copyUpTo: number): Promise<CommandResult> {
    this.restarts.push([id, copyUpTo]);
    await Promise.resolve();
    const fresh = this.add("invoked");
    return { applied: true, started: { invocationId: fresh, existing: false } };
  }
}

let engine: FakeEngine;
let app: FastifyInstance;

beforeEach(async () => {
  engine = new FakeEngine();
  // `serving` serves every service; any other deployment id named by a restart or resume is not found.
  const registry = {
    getService: () => ({ deploymentId: serving }),
    getDeployment: (id: string) => (id === serving ? { id, minProtocolVersion: 5, maxProtocolVersion: 6 } : undefined),
  } as unknown as DeploymentRegistry;
  app = buildAdminApp({ registry, invocations: engine });
  await app.ready();
});
afterEach(async () => {
  await app.close();
});

const batch = (op: string, payload: unknown, prefix = "") =>
  app.inject({ method: "POST", url: `${prefix}/internal/invocations_batch_operations/${op}`, payload: payload as object });

describe("POST /internal/invocations_batch_operations/{op}", () => {
  it("answers which ids succeeded and why the others failed, in request order", async () => {
    const running = engine.add("invoked");
    const done = engine.add("completed");
    const unknown = newInvocationId(randomPartitionKey());
    const res = await batch("pause", { invocation_ids: [done, running, unknown] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      succeeded: [running],
      failed: [
        { invocation_id: done, error: `Invocation '${done}' is not running, cannot be paused` },
        { invocation_id: unknown, error: `Invocation '${unknown}' not found` },
      ],
    });
    expect(engine.records.get(running)!.status).toBe("paused");
  });

  it("handles the repeats of one id in order: the second kill finds it completed", async () => {
    const id = engine.add("suspended");
    const res = await batch("kill", { invocation_ids: [id, id] }, "/v4");
    expect(res.json()).toEqual({ succeeded: [id], failed: [{ invocation_id: id, error: `Invocation '${id}' was already completed` }] });
  });

  it("words each refusal as Restate's batch does", async () => {
    const running = engine.add("invoked");
    const done = engine.add("completed");
    const inboxed = engine.add("inboxed");
    expect((await batch("purge", { invocation_ids: [running] })).json().failed[0].error).toBe(`Invocation '${running}' is not yet completed`);
    expect((await batch("cancel", { invocation_ids: [done] })).json().failed[0].error).toBe(`Invocation '${done}' was already completed`);
    expect((await batch("resume", { invocation_ids: [done] })).json().failed[0].error).toBe(`Invocation '${done}' is completed, cannot be resumed`);
    expect((await batch("resume", { invocation_ids: [inboxed] })).json().failed[0].error).toBe(
      `Invocation '${inboxed}' is either inboxed or scheduled, cannot be resumed`,
    );
  });

  it("restart-as-new lists old and new ids; resume and restart-as-new accept a deployment choice", async () => {
    const done = engine.add("completed");
    const res = await batch("restart-as-new", { invocation_ids: [done], deployment: "Latest" });
    expect(res.statusCode).toBe(200);
    const [item] = res.json().succeeded;
    expect(item.old_invocation_id).toBe(done);
    expect(engine.records.get(item.new_invocation_id)?.status).toBe("invoked");
    // Restate's batch restarts from the input whatever the body says: it has no `from`.
    await batch("restart-as-new", { invocation_ids: [done], from: 3 });
    expect(engine.restarts).toEqual([
      [done, 0],
      [done, 0],
    ]);
    const unknownDeployment = await batch("restart-as-new", { invocation_ids: [done], deployment: "dp_14LsPzX2jQ2F0CfcfZ0ZJ9F" });
    expect(unknownDeployment.json().failed).toEqual([{ invocation_id: done, error: `Deployment not found when restarting invocation '${done}'` }]);
    const running = engine.add("invoked");
    const workflow = engine.add("completed");
    engine.records.set(workflow, { ...engine.records.get(workflow)!, serviceType: "WORKFLOW" });
    expect((await batch("restart-as-new", { invocation_ids: [running, workflow] })).json().failed).toEqual([
      { invocation_id: running, error: `Invocation '${running}' is still running` },
      { invocation_id: workflow, error: `Restarting invocation '${workflow}' is not supported` },
    ]);
    // Resume moves a suspended one; a running one refuses to move.
    const suspended = engine.add("suspended");
    expect((await batch("resume", { invocation_ids: [suspended, running], deployment: "Latest" })).json()).toEqual({
      succeeded: [suspended],
      failed: [{ invocation_id: running, error: `Cannot change deployment ID for invocation '${running}'` }],
    });
    expect(engine.moves).toEqual([serving]);
    const bad = await batch("resume", { invocation_ids: [done], deployment: "bogus" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ message: "The request field 'deployment' is invalid. Reason: bad format", restate_code: null });
  });

  it("reports an id whose partition is unavailable as failed, and still does the others", async () => {
    const a = engine.add("invoked");
    const b = engine.add("invoked");
    engine.unavailable.add(a);
    const res = await batch("kill", { invocation_ids: [a, b] });
    expect(res.json().succeeded).toEqual([b]);
    expect(res.json().failed[0].error).toContain("could not be reached");
  });

  it("answers an empty batch with empty lists", async () => {
    expect((await batch("resume", { invocation_ids: [] })).json()).toEqual({ succeeded: [], failed: [] });
  });

  it("refuses a body without ids or with a malformed one (422), more than 1000 ids (400), purge-journal (422)", async () => {
    expect((await batch("cancel", {})).statusCode).toBe(422);
    const malformed = await batch("purge", { invocation_ids: ["bogus"] });
    expect(malformed.statusCode).toBe(422);
    expect(malformed.json().message).toContain("invocation_ids[0]");
    const id = engine.add("invoked");
    const big = await batch("kill", { invocation_ids: Array.from({ length: 1001 }, () => id) });
    expect(big.statusCode).toBe(400);
    expect(big.json()).toEqual({ message: "Batch size 1001 exceeds maximum allowed size of 1000", restate_code: null });
    expect(engine.calls).toEqual([]);
    expect((await batch("purge-journal", { invocation_ids: [id] })).statusCode).toBe(422);
    const get = await app.inject({ method: "GET", url: "/internal/invocations_batch_operations/kill" });
    expect(get.statusCode).toBe(405);
  });
});
