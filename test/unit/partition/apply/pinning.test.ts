import { beforeEach, describe, expect, it } from "vitest";
import type { DeploymentPin } from "../../../../invoker/index.js";
import { applyCommand, type InvocationStatus } from "../../../../partition/index.js";
import type { InvocationId } from "../../../../protocol/index.js";
import { ApplyFixture, entry, EPOCH, HANDLERS, HERE, inEveryState, SVC, value } from "./fixture.js";

// Deployment pinning in the partition: one command in, the invocation row's pin out.

const V1: DeploymentPin = { deploymentId: "dp_1v1", protocolVersion: 6 };
const V2: DeploymentPin = { deploymentId: "dp_1v2", protocolVersion: 5 };
const run = () => entry("RunCommand", { resultCompletionId: 1, name: "step" });

let f: ApplyFixture;
beforeEach(() => {
  f = new ApplyFixture();
});
const pinOf = (id: InvocationId) => f.record(id)?.pinned;

describe("pinning on an attempt's first write", () => {
  it("stores the pin a journal effect carries, and keeps the first one", () => {
    const { id } = f.invoke(SVC);
    expect(pinOf(id)).toBeNull();
    f.effect(id, { kind: "journal", entries: [run()], pin: V1 });
    expect(pinOf(id)).toEqual(V1);
    f.effect(id, { kind: "journal", entries: [run()], pin: V2 });
    expect(pinOf(id)).toEqual(V1);
  });

  it("stores the pin a run's result carries when it is the attempt's first write", () => {
    const { id } = f.invoke(SVC);
    f.effect(id, { kind: "run-completion", completionId: 1, notification: entry("RunCompletionNotification", { completionId: 1 }), pin: V2 });
    expect(pinOf(id)).toEqual(V2);
  });

  it("leaves an invocation unpinned by effects without a pin, and by a stale attempt's pin", () => {
    const { id } = f.invoke(SVC);
    f.journal(id, run());
    f.apply({ kind: "journal", fence: { ...f.fence(id), attempt: 3 }, entries: [run()], pin: V1 });
    expect(pinOf(id)).toBeNull();
  });

  it("asks for the retry policy of the deployment a failed attempt is pinned to", () => {
    const asked: Array<string | undefined> = [];
    const services = { resolve: (_s: string, _h: string, pinned?: string) => (asked.push(pinned), HANDLERS["Svc/h"]) };
    const fail = (id: InvocationId) =>
      f.store.db.transaction(() =>
        applyCommand(
          { store: f.store, partition: HERE, epoch: EPOCH, partitionCount: 1, now: f.now, services, actions: [] },
          { kind: "attempt-failed", fence: f.fence(id), failure: "boom" },
        ),
      )();
    const pinned = f.invoke(SVC).id;
    f.effect(pinned, { kind: "journal", entries: [run()], pin: V1 });
    fail(pinned);
    fail(f.invoke(SVC).id);
    expect(asked).toEqual([V1.deploymentId, undefined]);
  });
});

describe("moving an invocation as an operator resumes it", () => {
  it.each<InvocationStatus>(["paused", "suspended"])("moves a %s pinned invocation to the deployment named, keeping its protocol version", (status) => {
    const id = inEveryState(f)[status];
    f.store.invocations.pin(id, V1);
    expect(f.apply({ kind: "control", op: "resume", invocationId: id, deployment: "dp_1v3" }).result.applied).toBe(true);
    expect(pinOf(id)).toEqual({ deploymentId: "dp_1v3", protocolVersion: 6 });
    expect(f.record(id)?.status).toBe("invoked");
  });

  it("moves neither an unpinned invocation nor one that runs or backs off, and a resume without a deployment keeps the pin", () => {
    const states = inEveryState(f);
    for (const status of ["invoked", "backing-off", "suspended"] as const) f.store.invocations.pin(states[status], V1);
    for (const status of ["paused", "invoked", "backing-off"] as const) f.apply({ kind: "control", op: "resume", invocationId: states[status], deployment: "dp_1v3" });
    f.apply({ kind: "control", op: "resume", invocationId: states.suspended });
    expect([pinOf(states.paused), pinOf(states.invoked), pinOf(states["backing-off"]), pinOf(states.suspended)]).toEqual([null, V1, V1, V1]);
  });
});

describe("restart-as-new", () => {
  const completed = (pin: DeploymentPin | null) => {
    const { id } = f.invoke(SVC);
    if (pin !== null) f.store.invocations.pin(id, pin);
    f.effect(id, { kind: "end", result: value("done") });
    return id;
  };
  const restarted = (id: InvocationId, deployment?: string) =>
    f.apply({ kind: "restart-as-new", invocationId: id, copyUpTo: 0, deployment }).result.started!.invocationId;

  it("pins the new invocation as the original was, or to the deployment chosen, before it runs", () => {
    const id = completed(V1);
    expect(pinOf(restarted(id))).toEqual(V1);
    expect(pinOf(restarted(id, "dp_1v3"))).toEqual({ deploymentId: "dp_1v3", protocolVersion: 6 });
    expect(pinOf(id)).toEqual(V1);
  });

  it("leaves the restart of an unpinned invocation unpinned, whatever deployment was chosen", () => {
    expect(pinOf(restarted(completed(null), "dp_1v3"))).toBeNull();
  });
});
