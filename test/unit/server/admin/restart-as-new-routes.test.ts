import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandResult, InvocationRecord, InvocationStatus } from "../../../../partition/index.js";
import { newDeploymentId, newInvocationId, randomPartitionKey, type InvocationId } from "../../../../protocol/index.js";
import { buildAdminApp, type InvocationControl } from "../../../../server/admin/index.js";
import type { DeploymentRegistry } from "../../../../server/registry/index.js";
import { invocationRecord } from "./invocation-records.js";

// `PATCH /invocations/{id}/restart-as-new?from=&deployment=` over a fake engine: which requests reach
// the engine, and how refusals are worded. Statuses and wording are restate-server 1.7.12's.

class FakeEngine implements InvocationControl {
  readonly records = new Map<string, InvocationRecord>();
  readonly restarts: Array<[InvocationId, number]> = [];
  /** The deployment each restart was asked to pin the new invocation to (undefined: the original's). */
  readonly pins: Array<string | undefined> = [];
  next: CommandResult | undefined;

  /** An invocation pinned to `serving` at protocol v6 (what an invocation that ran has), unless overridden. */
  add(status: InvocationStatus, overrides: Partial<InvocationRecord> = {}): InvocationId {
    const r = invocationRecord({ status, pinned: { deploymentId: serving, protocolVersion: 6 }, ...overrides });
    this.records.set(r.id, r);
    return r.id;
  }
  getInvocation(id: string): InvocationRecord | undefined {
    return this.records.get(id);
  }
  async control(): Promise<CommandResult> {
    throw new Error("restart-as-new must not use control");
  }
  async restartAsNew(id: InvocationId, copyUpTo: number, deployment?: string): Promise<CommandResult> {
    this.restarts.push([id, copyUpTo]);
    this.pins.push(deployment);
    return this.next ?? { applied: true, started: { invocationId: newInvocationId(randomPartitionKey()), existing: false } };
  }
}

const serving = newDeploymentId();
const other = newDeploymentId();
let protocol = 6;
// `Svc` is served by `serving`, which speaks 5 up to `protocol`; `other` (5 to 6) exists too.
const registry = {
  getService: (name: string) => (name === "Svc" ? { deploymentId: serving } : undefined),
  getDeployment: (id: string) =>
    id === serving
      ? { id, minProtocolVersion: 5, maxProtocolVersion: protocol }
      : id === other
        ? { id, minProtocolVersion: 5, maxProtocolVersion: 6 }
        : undefined,
} as unknown as DeploymentRegistry;

let engine: FakeEngine;
let app: FastifyInstance;
beforeEach(async () => {
  protocol = 6;
  engine = new FakeEngine();
  app = buildAdminApp({ registry, invocations: engine });
  await app.ready();
});
afterEach(async () => {
  await app.close();
});

const restart = async (id: string, query = "") => {
  const res = await app.inject({ method: "PATCH", url: `/invocations/${id}/restart-as-new${query}` });
  return { status: res.statusCode, body: res.json() as { message?: string; new_invocation_id?: string } };
};

describe("PATCH /invocations/{id}/restart-as-new", () => {
  it("asks the engine to copy the journal up to `from` (0 by default) and answers the new id", async () => {
    const done = engine.add("completed");
    const plain = await restart(done);
    expect(plain.status).toBe(200);
    expect(plain.body.new_invocation_id).toMatch(/^inv_1/);
    expect((await restart(done, "?from=4")).status).toBe(200);
    expect((await restart(done, "?from=4294967295")).status).toBe(200);
    expect(engine.restarts).toEqual([
      [done, 0],
      [done, 4],
      [done, 4294967295],
    ]);
  });

  it.each<[InvocationStatus, number, string]>([
    ["scheduled", 425, "cannot be restarted because it's not running yet."],
    ["inboxed", 425, "cannot be restarted because it's not running yet."],
    ["invoked", 409, "is still running."],
    ["suspended", 409, "is still running."],
    ["backing-off", 409, "is still running."],
    ["paused", 409, "is still running."],
  ])("refuses a %s invocation with %i, whatever `from`, without asking the engine", async (status, code, words) => {
    const id = engine.add(status);
    for (const query of ["", "?from=3"]) expect(await restart(id, query)).toEqual({ status: code, body: { message: `The invocation '${id}' ${words}`, restate_code: null } });
    expect(engine.restarts).toEqual([]);
  });

  it("refuses every workflow handler (422) and an unknown invocation (404) without asking the engine", async () => {
    const workflow = engine.add("completed", { serviceType: "WORKFLOW", handlerType: "SHARED" });
    expect(await restart(workflow, "?from=1")).toEqual({
      status: 422,
      body: {
        message: `Restarting the invocation '${workflow}' is not supported. Restarting workflows is not supported, and restarting invocations created using the old service protocol.`,
        restate_code: null,
      },
    });
    const unknown = newInvocationId(randomPartitionKey());
    expect(await restart(unknown, "?from=1")).toEqual({ status: 404, body: { message: `The requested invocation '${unknown}' does not exist`, restate_code: null } });
    expect(engine.restarts).toEqual([]);
  });

  it.each<[CommandResult, number, (id: string) => string]>([
    [
      { applied: false, refusal: { status: 400, message: "", reason: "copy-range-invalid" } },
      400,
      (id) => `The prefix of the journal '${id}' up to 'from' (included) contains some Commands without respective Completions.`,
    ],
    [
      { applied: false, refusal: { status: 400, message: "", reason: "index-out-of-range" } },
      400,
      (id) => `The given index is out of range of currently stored journal for invocation '${id}'.`,
    ],
    [
      { applied: false, refusal: { status: 410, message: "", reason: "missing-input" } },
      410,
      (id) =>
        `The invocation '${id}' cannot be restarted because the input is not available. This indicates that the journal was already purged, or not retained at all.`,
    ],
    [
      { applied: false, refusal: { status: 400, message: "", reason: "deployment-not-found" } },
      400,
      (id) => `The given deployment was not found when trying to restart as new the invocation '${id}'.`,
    ],
    [{ applied: false, refusal: { status: 409, message: "", reason: "still-running" } }, 409, (id) => `The invocation '${id}' is still running.`],
    [{ applied: false }, 503, (id) => `The invocation '${id}' could not be reached right now; retry later.`],
  ])("words the engine's refusal %j as Restate does", async (result, code, message) => {
    const done = engine.add("completed");
    engine.next = result;
    expect(await restart(done, "?from=2")).toEqual({ status: code, body: { message: message(done), restate_code: null } });
  });

  it("takes Restate's deployment choices and refuses others before looking at the invocation", async () => {
    const done = engine.add("completed");
    for (const choice of ["keep", "Keep", "latest", "Latest", other]) expect((await restart(done, `?from=1&deployment=${choice}`)).status).toBe(200);
    const unknown = newInvocationId(randomPartitionKey());
    for (const [choice, reason] of [
      ["bogus", "bad format"],
      ["LATEST", "bad format"],
      ["Id", "bad format"],
      ["", "bad length"],
    ]) {
      expect(await restart(unknown, `?from=1&deployment=${choice}`)).toEqual({
        status: 400,
        body: { message: `The query parameter 'deployment' is invalid. Reason: ${reason}`, restate_code: null },
      });
    }
  });

  it("refuses a deployment id that names none, after the invocation's state, before the engine", async () => {
    const done = engine.add("completed");
    const running = engine.add("invoked");
    const absent = newDeploymentId();
    expect(await restart(done, `?from=100&deployment=${absent}`)).toEqual({
      status: 400,
      body: { message: `The given deployment was not found when trying to restart as new the invocation '${done}'.`, restate_code: null },
    });
    expect((await restart(running, `?deployment=${absent}`)).status).toBe(409);
    expect((await restart(newInvocationId(randomPartitionKey()), `?deployment=${absent}`)).status).toBe(404);
    expect(engine.restarts).toEqual([]);
  });

  it("refuses a prefix (not a restart from the input) of an invocation pinned to a protocol before v6, or never pinned", async () => {
    const old = engine.add("completed", { pinned: { deploymentId: serving, protocolVersion: 5 } });
    const unpinned = engine.add("completed", { pinned: null });
    for (const id of [old, unpinned]) {
      expect((await restart(id, "?from=1")).status).toBe(422);
      expect((await restart(id, "?from=0")).status).toBe(200);
    }
    expect(engine.restarts).toEqual([
      [old, 0],
      [unpinned, 0],
    ]);
  });

  it("pins the new invocation to the chosen deployment, if it speaks the original's protocol version", async () => {
    const done = engine.add("completed");
    for (const choice of ["keep", "latest", other]) expect((await restart(done, `?deployment=${choice}`)).status).toBe(200);
    expect(engine.pins).toEqual([undefined, serving, other]);

    // The latest deployment of the service no longer speaks v6: Restate's 400, the range as Rust prints it.
    protocol = 5;
    const refused = await restart(done, "?deployment=latest");
    expect(refused).toEqual({
      status: 400,
      body: {
        message: `The invocation '${done}' is running on protocol version '6', while the chosen deployment '${serving}' supports the range 5..=5.`,
        restate_code: null,
      },
    });
    expect((await restart(done, "?deployment=keep")).status).toBe(200);
    // An unpinned original is not checked: its copy stays unpinned whatever deployment was named.
    const unpinned = engine.add("completed", { pinned: null });
    expect((await restart(unpinned, "?deployment=latest")).status).toBe(200);
    expect(engine.pins).toEqual([undefined, serving, other, undefined, serving]);
  });

  it.each(["-1", "abc", "1.5", "", "4294967296"])("answers 400 for from=%s", async (from) => {
    const done = engine.add("completed");
    expect((await restart(done, `?from=${from}`)).status).toBe(400);
    expect(engine.restarts).toEqual([]);
  });
});
