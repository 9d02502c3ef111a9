import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandResult, ControlOp, InvocationRecord, InvocationStatus } from "../../../../partition/index.js";
import { newDeploymentId, type InvocationId } from "../../../../protocol/index.js";
import { buildAdminApp, type InvocationControl } from "../../../../server/admin/index.js";
import type { DeploymentRegistry } from "../../../../server/registry/index.js";
import { invocationRecord } from "./invocation-records.js";

// `PATCH /invocations/{id}/resume?deployment=keep|latest|<id>` over a fake engine: which resumes move the
// invocation to another deployment, and how the others are refused (restate-server 1.7.12's answers).

class FakeEngine implements InvocationControl {
  readonly records = new Map<string, InvocationRecord>();
  /** Each control call: the operation, the invocation and the deployment it moves to. */
  readonly calls: Array<[ControlOp, InvocationId, string | undefined]> = [];

  add(status: InvocationStatus, pinned: InvocationRecord["pinned"] = { deploymentId: old, protocolVersion: 6 }): InvocationId {
    const r = invocationRecord({ status, pinned });
    this.records.set(r.id, r);
    return r.id;
  }
  getInvocation(id: string): InvocationRecord | undefined {
    return this.records.get(id);
  }
  async control(op: ControlOp, id: InvocationId, deployment?: string): Promise<CommandResult> {
    this.calls.push([op, id, deployment]);
    return { applied: true };
  }
  async restartAsNew(): Promise<CommandResult> {
    throw new Error("not used here");
  }
}

const old = newDeploymentId();
const latest = newDeploymentId();
const v5only = newDeploymentId();
const RANGES: Record<string, [number, number]> = { [old]: [5, 6], [latest]: [5, 7], [v5only]: [5, 5] };
// `Svc` is served by `latest`; `old` and `v5only` exist too.
const registry = {
  getService: (name: string) => (name === "Svc" ? { deploymentId: latest } : undefined),
  getDeployment: (id: string) => {
    const range = RANGES[id];
    return range === undefined ? undefined : { id, minProtocolVersion: range[0], maxProtocolVersion: range[1] };
  },
} as unknown as DeploymentRegistry;

let engine: FakeEngine;
let app: FastifyInstance;
beforeEach(async () => {
  engine = new FakeEngine();
  app = buildAdminApp({ registry, invocations: engine });
  await app.ready();
});
afterEach(async () => {
  await app.close();
});

const resume = async (id: string, query = "") => {
  const res = await app.inject({ method: "PATCH", url: `/invocations/${id}/resume${query}` });
  return { status: res.statusCode, message: res.body === "" ? undefined : (res.json() as { message: string }).message };
};

describe("PATCH /invocations/{id}/resume?deployment=", () => {
  it("keeps the pinned deployment by default and with keep", async () => {
    const id = engine.add("suspended");
    expect(await resume(id)).toEqual({ status: 200, message: undefined });
    expect(await resume(id, "?deployment=Keep")).toEqual({ status: 200, message: undefined });
    expect(engine.calls).toEqual([
      ["resume", id, undefined],
      ["resume", id, undefined],
    ]);
  });

  it("moves a suspended or paused pinned invocation to the latest deployment or the one named", async () => {
    const suspended = engine.add("suspended");
    const paused = engine.add("paused");
    expect((await resume(suspended, "?deployment=latest")).status).toBe(200);
    expect((await resume(paused, `?deployment=${old}`)).status).toBe(200);
    expect(engine.calls).toEqual([
      ["resume", suspended, latest],
      ["resume", paused, old],
    ]);
  });

  it("refuses a deployment that does not exist or does not speak the pinned protocol version (400)", async () => {
    const id = engine.add("paused");
    const absent = newDeploymentId();
    expect(await resume(id, `?deployment=${absent}`)).toEqual({
      status: 400,
      message: `The given deployment was not found when trying to resume the invocation '${id}'.`,
    });
    expect(await resume(id, `?deployment=${v5only}`)).toEqual({
      status: 400,
      message: `The invocation '${id}' is running on protocol version '6', while the chosen deployment '${v5only}' supports the range 5..=5.`,
    });
    expect(engine.calls).toEqual([]);
  });

  it.each<InvocationStatus>(["invoked", "backing-off"])("refuses to move a %s invocation (409), though a plain resume is answered", async (status) => {
    const id = engine.add(status);
    const refused = `The invocation '${id}' is still running or the deployment id is not pinned yet, deployment id cannot be changed.`;
    expect(await resume(id, "?deployment=latest")).toEqual({ status: 409, message: refused });
    expect(await resume(id, `?deployment=${old}`)).toEqual({ status: 409, message: refused });
    expect((await resume(id, "?deployment=keep")).status).toBe(200);
  });

  it("resumes an unpinned invocation with latest as with keep, and refuses to pin it to an id (409)", async () => {
    const id = engine.add("paused", null);
    expect((await resume(id, "?deployment=latest")).status).toBe(200);
    expect(await resume(id, `?deployment=${latest}`)).toEqual({
      status: 409,
      message: `The invocation '${id}' is still running or the deployment id is not pinned yet, deployment id cannot be changed.`,
    });
    expect(engine.calls).toEqual([["resume", id, undefined]]);
  });

  it("refuses by state first (completed 409, not started 425), and a malformed choice before that (400)", async () => {
    const done = engine.add("completed");
    const later = engine.add("scheduled", null);
    expect(await resume(done, `?deployment=${newDeploymentId()}`)).toEqual({ status: 409, message: `The invocation '${done}' is completed, cannot be resumed.` });
    expect((await resume(later, "?deployment=latest")).status).toBe(425);
    expect(await resume(done, "?deployment=bogus")).toEqual({ status: 400, message: "The query parameter 'deployment' is invalid. Reason: bad format" });
    expect(engine.calls).toEqual([]);
  });
});
