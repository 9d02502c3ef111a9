import BetterSqlite3 from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import type { DeploymentPin, JournalFrame } from "../../../../invoker/index.js";
import { applyCommand, type PartitionCommand } from "../../../../partition/apply/apply.js";
import type { ApplyContext, HandlerInfo } from "../../../../partition/apply/context.js";
import { PartitionStore, type InvocationStatus, type LeaderEpoch, type PartitionId } from "../../../../partition/index.js";
import { encodeFrame, MessageType, newInvocationId, randomPartitionKey, type InvocationId } from "../../../../protocol/index.js";
import { plainInvocationRow } from "../invocation-rows.js";

// Deployment pinning in the partition: one command in, the invocation row's pin out.

const HANDLER: HandlerInfo = { serviceType: "SERVICE", handlerType: null, retentionMs: 60_000, maxAttempts: null, onMaxAttempts: "PAUSE" };
const V1: DeploymentPin = { deploymentId: "dp_1v1", protocolVersion: 6 };
const V2: DeploymentPin = { deploymentId: "dp_1v2", protocolVersion: 5 };
const frame = (type: number): JournalFrame => ({ type, frame: encodeFrame(type, new Uint8Array()) });

let store: PartitionStore;
/** The deployment the last `resolve` was asked about. */
let resolvedFor: string | undefined;

function apply(command: PartitionCommand) {
  const ctx: ApplyContext = {
    store,
    partition: 0 as PartitionId,
    epoch: 1 as LeaderEpoch,
    partitionCount: 1,
    now: 1_000,
    services: {
      resolve: (_service, _handler, pinned) => {
        resolvedFor = pinned;
        return HANDLER;
      },
    },
    actions: [],
  };
  return store.db.transaction(() => applyCommand(ctx, command))();
}

/** An invocation of S/h with its input journaled, in `status`. */
function invocation(status: InvocationStatus = "invoked"): InvocationId {
  const id = newInvocationId(randomPartitionKey());
  store.invocations.insert({ ...plainInvocationRow(id, 0), status });
  store.invocations.append(id, 0, [frame(MessageType.InputCommand)], 0);
  return id;
}

const fence = (id: InvocationId) => ({ partition: 0, leaderEpoch: 1, invocationId: id, attempt: 0 });
/** The pin as a fresh read of the row sees it (not the in-memory copy). */
const storedPin = (id: InvocationId) => {
  store.invocations.invalidate();
  return store.invocations.get(id)?.pinned;
};

beforeEach(() => {
  store = new PartitionStore(new BetterSqlite3(":memory:"));
  resolvedFor = undefined;
});

describe("pinning on an attempt's first write", () => {
  it("stores the pin a journal effect carries, and keeps the first one", () => {
    const id = invocation();
    expect(storedPin(id)).toBeNull();
    apply({ kind: "journal", fence: fence(id), entries: [frame(MessageType.RunCommand)], pin: V1 });
    expect(storedPin(id)).toEqual(V1);
    apply({ kind: "journal", fence: fence(id), entries: [frame(MessageType.RunCommand)], pin: V2 });
    expect(storedPin(id)).toEqual(V1);
  });

  it("stores the pin a run's result carries when it is the attempt's first write", () => {
    const id = invocation();
    apply({ kind: "run-completion", fence: fence(id), completionId: 1, notification: frame(MessageType.RunCompletionNotification), pin: V2 });
    expect(storedPin(id)).toEqual(V2);
  });

  it("leaves an invocation unpinned by effects without a pin, and by a stale attempt's pin", () => {
    const id = invocation();
    apply({ kind: "journal", fence: fence(id), entries: [frame(MessageType.RunCommand)] });
    apply({ kind: "journal", fence: { ...fence(id), attempt: 3 }, entries: [frame(MessageType.RunCommand)], pin: V1 });
    expect(storedPin(id)).toBeNull();
  });

  it("asks for the retry policy of the deployment a failed attempt was pinned to", () => {
    const pinned = invocation();
    apply({ kind: "journal", fence: fence(pinned), entries: [frame(MessageType.RunCommand)], pin: V1 });
    apply({ kind: "attempt-failed", fence: fence(pinned), failure: "boom" });
    expect(resolvedFor).toBe(V1.deploymentId);
    const free = invocation();
    apply({ kind: "attempt-failed", fence: fence(free), failure: "boom" });
    expect(resolvedFor).toBeUndefined();
  });
});

describe("moving an invocation as an operator resumes it", () => {
  it.each<InvocationStatus>(["paused", "suspended"])("moves a %s pinned invocation to the deployment named, keeping its protocol version", (status) => {
    const id = invocation(status);
    store.invocations.pin(id, V1);
    apply({ kind: "control", op: "resume", invocationId: id, deployment: "dp_1v3" });
    expect(storedPin(id)).toEqual({ deploymentId: "dp_1v3", protocolVersion: 6 });
    expect(store.invocations.get(id)?.status).toBe("invoked");
  });

  it("moves neither an unpinned invocation nor one that runs, and a resume without a deployment keeps the pin", () => {
    const unpinned = invocation("paused");
    apply({ kind: "control", op: "resume", invocationId: unpinned, deployment: "dp_1v3" });
    expect(storedPin(unpinned)).toBeNull();
    const running = invocation("invoked");
    store.invocations.pin(running, V1);
    apply({ kind: "control", op: "resume", invocationId: running, deployment: "dp_1v3" });
    expect(storedPin(running)).toEqual(V1);
    const kept = invocation("suspended");
    store.invocations.pin(kept, V1);
    apply({ kind: "control", op: "resume", invocationId: kept });
    expect(storedPin(kept)).toEqual(V1);
  });
});

describe("restart-as-new", () => {
  const completed = (pin: DeploymentPin | null) => {
    const id = invocation();
    if (pin !== null) store.invocations.pin(id, pin);
    store.invocations.complete(id, { kind: "value", value: new Uint8Array() }, 10);
    return id;
  };
  const restarted = (result: ReturnType<typeof apply>) => result.started!.invocationId;

  it("pins the new invocation as the original was, or to the deployment chosen, before it runs", () => {
    const id = completed(V1);
    const kept = restarted(apply({ kind: "restart-as-new", invocationId: id, copyUpTo: 0 }));
    const moved = restarted(apply({ kind: "restart-as-new", invocationId: id, copyUpTo: 0, deployment: "dp_1v3" }));
    expect(storedPin(kept)).toEqual(V1);
    expect(storedPin(moved)).toEqual({ deploymentId: "dp_1v3", protocolVersion: 6 });
    expect(storedPin(id)).toEqual(V1);
  });

  it("leaves the restart of an unpinned invocation unpinned, whatever deployment was chosen", () => {
    const id = completed(null);
    expect(storedPin(restarted(apply({ kind: "restart-as-new", invocationId: id, copyUpTo: 0, deployment: "dp_1v3" })))).toBeNull();
  });
});
