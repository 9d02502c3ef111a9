import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  NotLeaderError,
  type CommandResult,
  type ControlOp,
  type InvocationRecord,
  type InvocationStatus,
} from "../../../../partition/index.js";
import { newInvocationId, randomPartitionKey, type InvocationId } from "../../../../protocol/index.js";
import { buildAdminApp, type InvocationControl } from "../../../../server/admin/index.js";
import { invocationRecord } from "./invocation-records.js";
import type { DeploymentRegistry } from "../../../../server/registry/index.js";

const T0 = Date.parse("2026-11-21T09:25:18.882Z");

function record(overrides: Partial<InvocationRecord> = {}): InvocationRecord {
  return invocationRecord({
    target: { service: "Svc", handler: "sleepy", key: "" },
    createdAt: T0,
    modifiedAt: T0 + 16,
    journalLength: 2,
    ...overrides,
  });
}

/**
 * An engine holding records in a map; `control` records its calls, runs `meanwhile` (a change of state
 * the route did not see) and answers `next` (applied by default).
 */
class FakeEngine implements InvocationControl {
  readonly records = new Map<string, InvocationRecord>();
  readonly calls: Array<[ControlOp, InvocationId]> = [];
  next: CommandResult | Error = { applied: true };
  meanwhile: () => void = () => {};

  add(overrides: Partial<InvocationRecord> = {}): InvocationRecord {
    const r = record(overrides);
    this.records.set(r.id, r);
    return r;
  }
  getInvocation(id: string): InvocationRecord | undefined {
    return this.records.get(id);
  }
  async control(op: ControlOp, id: InvocationId): Promise<CommandResult> {
    this.calls.push([op, id]);
    this.meanwhile();
    if (this.next instanceof Error) throw this.next;
    return this.next;
  }
  async restartAsNew(): Promise<CommandResult> {
    throw new Error("restart-as-new is tested in restart-as-new-routes.test.ts");
  }
}

let engine: FakeEngine;
let app: FastifyInstance;

// The invocation routes never touch the registry.
const registry = {} as DeploymentRegistry;

beforeEach(async () => {
  engine = new FakeEngine();
  app = buildAdminApp({ registry, invocations: engine });
  await app.ready();
});
afterEach(async () => {
  await app.close();
});

const patch = (id: string, op: string, prefix = "") => app.inject({ method: "PATCH", url: `${prefix}/invocations/${id}/${op}` });

// What Restate 1.7.12 answers for each operation on an invocation in each state (read from the real
// server), and whether stet has to ask the engine to get there.
describe("PATCH /invocations/{id}/{op}", () => {
  it.each<[ControlOp, InvocationStatus, number, boolean]>([
    ["cancel", "invoked", 202, true],
    ["cancel", "suspended", 202, true],
    ["cancel", "backing-off", 202, true],
    ["cancel", "paused", 202, true],
    ["cancel", "scheduled", 200, true],
    ["cancel", "inboxed", 200, true],
    ["cancel", "completed", 409, false],
    ["kill", "invoked", 200, true],
    ["kill", "suspended", 200, true],
    ["kill", "paused", 200, true],
    ["kill", "scheduled", 200, true],
    ["kill", "completed", 409, false],
    ["purge", "completed", 200, true],
    ["purge", "invoked", 409, false],
    ["purge", "suspended", 409, false],
    ["purge", "scheduled", 409, false],
    ["pause", "invoked", 202, true],
    ["pause", "backing-off", 202, true],
    ["pause", "paused", 200, false],
    ["pause", "suspended", 200, false],
    ["pause", "scheduled", 409, false],
    ["pause", "inboxed", 409, false],
    ["pause", "completed", 409, false],
    ["resume", "paused", 200, true],
    ["resume", "invoked", 200, false],
    ["resume", "suspended", 200, true],
    ["resume", "backing-off", 200, true],
    ["resume", "scheduled", 425, false],
    ["resume", "inboxed", 425, false],
    ["resume", "completed", 409, false],
  ])("%s of a %s invocation answers %i (engine asked: %s)", async (op, status, code, asksEngine) => {
    const r = engine.add({ status });
    const res = await patch(r.id, op);
    expect(res.statusCode).toBe(code);
    expect(engine.calls).toEqual(asksEngine ? [[op, r.id]] : []);
    if (code < 300) {
      // Restate answers successes with no body and no content type.
      expect(res.body).toBe("");
      expect(res.headers["content-type"]).toBeUndefined();
    } else {
      expect(res.json()).toEqual({ message: expect.stringContaining(`The invocation '${r.id}' `), restate_code: null });
    }
  });

  it("words refusals as Restate does", async () => {
    const done = engine.add({ status: "completed" });
    const scheduled = engine.add({ status: "scheduled" });
    const running = engine.add({ status: "invoked" });
    const messages = async (id: string, op: string) => ((await patch(id, op)).json() as { message: string }).message;
    expect(await messages(done.id, "cancel")).toBe(`The invocation '${done.id}' was already completed.`);
    expect(await messages(done.id, "kill")).toBe(`The invocation '${done.id}' was already completed.`);
    expect(await messages(done.id, "pause")).toBe(`The invocation '${done.id}' is not running, cannot be paused.`);
    expect(await messages(done.id, "resume")).toBe(`The invocation '${done.id}' is completed, cannot be resumed.`);
    expect(await messages(running.id, "purge")).toBe(`The invocation '${running.id}' is not yet completed.`);
    expect(await messages(scheduled.id, "resume")).toBe(`The invocation '${scheduled.id}' is either inboxed or scheduled, cannot be resumed.`);
  });

  it.each(["cancel", "kill", "purge", "pause", "resume"])("%s of an unknown invocation answers 404 without asking the engine", async (op) => {
    const id = newInvocationId(randomPartitionKey());
    const res = await patch(id, op);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ message: `The requested invocation '${id}' does not exist`, restate_code: null });
    expect(engine.calls).toEqual([]);
  });

  it.each([
    ["nope", "bad format"],
    ["inv_1", "bad length"],
    [`inv_1${"!".repeat(33)}`, "bad format"],
    ["%20", "bad format"],
  ])("answers 400 for the malformed id %j (%s)", async (id, reason) => {
    const res = await patch(id, "cancel");
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: `The request field 'invocation_id' is invalid. Reason: ${reason}`, restate_code: null });
  });

  it("words the engine's refusal as Restate does when the state changed before the command applied", async () => {
    const r = engine.add({ status: "invoked" });
    engine.meanwhile = () => engine.records.set(r.id, { ...r, status: "completed" });
    engine.next = { applied: false, refusal: { status: 409, message: "the invocation is completed" } };
    const res = await patch(r.id, "pause");
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ message: `The invocation '${r.id}' is not running, cannot be paused.`, restate_code: null });

    engine.records.set(r.id, r);
    engine.meanwhile = () => engine.records.delete(r.id);
    engine.next = { applied: false, refusal: { status: 404, message: "invocation not found" } };
    const gone = await patch(r.id, "kill");
    expect(gone.statusCode).toBe(404);
    expect(gone.json().message).toBe(`The requested invocation '${r.id}' does not exist`);
  });

  it("answers 503 when the partition does not apply the command (not led right now)", async () => {
    const r = engine.add({ status: "invoked" });
    engine.next = { applied: false };
    expect((await patch(r.id, "kill")).statusCode).toBe(503);
    engine.next = new NotLeaderError(3);
    const res = await patch(r.id, "kill");
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ message: expect.stringContaining("partition 3"), restate_code: null });
  });

  it("ignores a request body, as Restate does (an empty one sent as JSON included)", async () => {
    const r = engine.add({ status: "completed" });
    const empty = await app.inject({ method: "PATCH", url: `/invocations/${r.id}/purge`, headers: { "content-type": "application/json" } });
    expect(empty.statusCode).toBe(200);
    const junk = await app.inject({ method: "PATCH", url: `/invocations/${r.id}/purge`, headers: { "content-type": "application/json" }, payload: "{" });
    expect(junk.statusCode).toBe(200);
    const del = await app.inject({ method: "DELETE", url: `/invocations/${r.id}`, headers: { "content-type": "text/plain" }, payload: "x" });
    expect(del.statusCode).toBe(202);
    // The other admin routes still parse JSON.
    expect((await app.inject({ method: "POST", url: "/deployments", headers: { "content-type": "application/json" }, payload: "{" })).statusCode).toBe(400);
  });

  it("is served under every supported API version, like the other routes", async () => {
    const r = engine.add({ status: "invoked" });
    for (const prefix of ["/v2", "/v3", "/v4"]) expect((await patch(r.id, "kill", prefix)).statusCode).toBe(200);
    expect(engine.calls).toHaveLength(3);
    const old = await patch(r.id, "kill", "/v1");
    expect(old.statusCode).toBe(400);
    expect(old.json().message).toMatch(/^Unsupported Admin API version V1\./);
  });

  it("answers other methods with 405, like the other admin routes and Restate, and unknown operations with 404", async () => {
    const r = engine.add({ status: "invoked" });
    const post = await app.inject({ method: "POST", url: `/invocations/${r.id}/cancel` });
    expect(post.statusCode).toBe(405);
    expect(post.headers["allow"]).toBe("PATCH");
    expect(post.json()).toEqual({ message: expect.any(String), restate_code: null });
    const onId = await app.inject({ method: "PATCH", url: `/v4/invocations/${r.id}` });
    expect(onId.statusCode).toBe(405);
    expect(String(onId.headers["allow"]).split(", ")).toEqual(expect.arrayContaining(["GET", "DELETE"]));
    expect((await patch(r.id, "restart")).statusCode).toBe(404);
    expect(engine.calls).toEqual([]);
  });

  it("is absent when the app has no engine", async () => {
    const bare = buildAdminApp({ registry });
    try {
      const r = engine.add();
      expect((await bare.inject({ method: "PATCH", url: `/invocations/${r.id}/cancel` })).statusCode).toBe(404);
      expect((await bare.inject({ method: "GET", url: `/invocations/${r.id}` })).statusCode).toBe(404);
    } finally {
      await bare.close();
    }
  });
});

describe("DELETE /invocations/{id} (deprecated)", () => {
  const del = (id: string, query = "") => app.inject({ method: "DELETE", url: `/invocations/${id}${query}` });

  it.each<[string, ControlOp]>([
    ["", "cancel"],
    ["?mode=cancel", "cancel"],
    ["?mode=Cancel", "cancel"],
    ["?mode=kill", "kill"],
    ["?mode=Kill", "kill"],
    ["?mode=purge", "purge"],
    ["?mode=Purge", "purge"],
  ])("%s runs %s and answers 202", async (query, op) => {
    const r = engine.add();
    const res = await del(r.id, query);
    expect(res.statusCode).toBe(202);
    expect(res.body).toBe("");
    expect(engine.calls).toEqual([[op, r.id]]);
  });

  it("answers 202 even when the engine refuses or does not know the id, as Restate does", async () => {
    engine.next = { applied: false, refusal: { status: 404, message: "invocation not found" } };
    expect((await del(newInvocationId(randomPartitionKey()), "?mode=kill")).statusCode).toBe(202);
    engine.next = { applied: false, refusal: { status: 409, message: "not completed" } };
    expect((await del(engine.add().id, "?mode=purge")).statusCode).toBe(202);
  });

  it("answers 400 for an unknown mode or a malformed id", async () => {
    const bogus = await del(engine.add().id, "?mode=bogus");
    expect(bogus.statusCode).toBe(400);
    expect(bogus.json()).toEqual({ message: expect.stringContaining("mode"), restate_code: null });
    const malformed = await del("nope", "?mode=purge");
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().message).toBe("The request field 'invocation_id' is invalid. Reason: bad format");
    expect(engine.calls).toEqual([]);
  });

  it("is served under the versioned prefixes", async () => {
    expect((await app.inject({ method: "DELETE", url: `/v4/invocations/${engine.add().id}?mode=kill` })).statusCode).toBe(202);
  });
});

describe("GET /invocations/{id} (stet's own)", () => {
  it("describes a running service invocation with sys_invocation's column names", async () => {
    const pinned = { deploymentId: "dp_14LsPzX2jQ2F0CfcfZ0ZJ9F", protocolVersion: 6 };
    const r = engine.add({ status: "invoked", retryCount: 2, lastFailure: "[500] not yet", idempotencyKey: "k-1", pinned });
    const res = await app.inject({ method: "GET", url: `/invocations/${r.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: r.id,
      target: "Svc/sleepy",
      target_service_name: "Svc",
      target_service_key: null,
      target_handler_name: "sleepy",
      target_service_ty: "service",
      status: "running",
      invoked_by: "ingress",
      invoked_by_id: null,
      invoked_by_target: null,
      idempotency_key: "k-1",
      retry_count: 2,
      last_failure: "[500] not yet",
      pinned_deployment_id: "dp_14LsPzX2jQ2F0CfcfZ0ZJ9F",
      pinned_service_protocol_version: 6,
      journal_size: 2,
      created_at: "2026-11-21T09:25:18.882Z",
      modified_at: "2026-11-21T09:25:18.898Z",
      scheduled_start_at: null,
      completed_at: null,
      completion_result: null,
      completion_failure: null,
    });
  });

  it("prints keyed targets, callers and outcomes as Restate does", async () => {
    const parent = engine.add({ target: { service: "Parent", handler: "run", key: "" } });
    const child = engine.add({
      target: { service: "Counter", handler: "add", key: "k1" },
      serviceType: "VIRTUAL_OBJECT",
      handlerType: "EXCLUSIVE",
      caller: { id: parent.id, completionId: 1 },
      status: "completed",
      completedAt: T0 + 1000,
      outcome: { kind: "failure", code: 409, message: "Cancelled" },
    });
    const json = (await app.inject({ method: "GET", url: `/v4/invocations/${child.id}` })).json();
    expect(json).toMatchObject({
      target: "Counter/k1/add",
      target_service_key: "k1",
      target_service_ty: "virtual_object",
      status: "completed",
      invoked_by: "service",
      invoked_by_id: parent.id,
      invoked_by_target: "Parent/run",
      completed_at: "2026-11-21T09:25:19.882Z",
      completion_result: "failure",
      completion_failure: "[409] Cancelled",
    });

    const ok = engine.add({ status: "completed", completedAt: T0, outcome: { kind: "value", value: new TextEncoder().encode('"hi"') } });
    expect((await app.inject({ method: "GET", url: `/invocations/${ok.id}` })).json()).toMatchObject({
      completion_result: "success",
      completion_failure: null,
    });
  });

  it.each<[InvocationStatus, string]>([
    ["scheduled", "scheduled"],
    ["inboxed", "pending"],
    ["invoked", "running"],
    ["backing-off", "backing-off"],
    ["suspended", "suspended"],
    ["paused", "paused"],
    ["completed", "completed"],
  ])("names status %s %s", async (status, name) => {
    const r = engine.add({ status, executionTime: status === "scheduled" ? T0 + 60_000 : null });
    const json = (await app.inject({ method: "GET", url: `/invocations/${r.id}` })).json();
    expect(json.status).toBe(name);
    if (status === "scheduled") expect(json.scheduled_start_at).toBe("2026-11-21T09:26:18.882Z");
  });

  it("answers 404 for an unknown id and 400 for a malformed one", async () => {
    const id = newInvocationId(randomPartitionKey());
    const res = await app.inject({ method: "GET", url: `/invocations/${id}` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ message: `The requested invocation '${id}' does not exist`, restate_code: null });
    expect((await app.inject({ method: "GET", url: "/invocations/nope" })).statusCode).toBe(400);
  });
});
