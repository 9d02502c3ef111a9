import type { JournalFrame } from "../../invoker/index.js";
import { MessageType, frameFromRaw, isAwaited, type InvocationId } from "../../protocol/index.js";
import type { InvocationOutcome, InvocationRecord } from "../types.js";
import { isStateMutationMarker } from "../storage/state-mutation-table.js";
import { replaceState } from "./state-mutation.js";
import { decodeEntry, encodeEntry, type ApplyContext } from "./context.js";
import type { InvocationSpec, PartitionMessage, Started } from "./declarations.js";
import { notifications, outcomeNotification } from "./frames.js";
import { isWorkflowRun } from "./invocation-ids.js";
import { deserializeOutcome, partitionOfMessage, serializeOutcome } from "./messages.js";

export const CANCELLED: InvocationOutcome = { kind: "failure", code: 409, message: "cancelled" };
export const KILLED: InvocationOutcome = { kind: "failure", code: 409, message: "killed" };

/** Applies `message` here when this partition owns its target, else writes it to the outbox. */
export function route(ctx: ApplyContext, message: PartitionMessage): void {
  const target = partitionOfMessage(ctx, message);
  if (target === ctx.partition) {
    applyMessage(ctx, message);
    return;
  }
  const seq = ctx.store.outbox.add(ctx.partition, target, JSON.stringify(message));
  ctx.actions.push({ kind: "outbox", seq, targetPartition: target, message });
}

export function applyMessage(ctx: ApplyContext, message: PartitionMessage): void {
  switch (message.kind) {
    case "invoke":
      startInvocation(ctx, message.spec);
      return;
    case "notify":
      deliverNotification(ctx, message.invocationId, decodeEntry(message.entry));
      return;
    case "cancel":
      cancelInvocation(ctx, message.invocationId);
      return;
    case "kill":
      killInvocation(ctx, message.invocationId);
      return;
    case "await-outcome":
      awaitOutcome(ctx, message);
      return;
    case "outcome": {
      const { completionId, notificationType, outcome } = message;
      const entry =
        outcome === null
          ? notifications.output(completionId, undefined)
          : outcomeNotification(notificationType, completionId, deserializeOutcome(outcome));
      deliverNotification(ctx, message.waiterId, entry);
      return;
    }
  }
}

/**
 * Creates an invocation (or finds the one its idempotency key / workflow id already started). Its
 * journal is the input entry alone, or `journal` when one is given (restart-as-new from a prefix).
 */
export function startInvocation(ctx: ApplyContext, spec: InvocationSpec, journal?: readonly JournalFrame[]): Started {
  const { store } = ctx;
  const { target, handler } = spec;
  const previous =
    spec.idempotencyKey !== null
      ? store.idempotency.get(target.service, target.key, target.handler, spec.idempotencyKey)
      : isWorkflowRun(handler)
        ? store.idempotency.workflowRun(target.service, target.key)
        : undefined;
  if (previous !== undefined && store.invocations.get(previous) !== undefined) {
    if (spec.caller !== null) {
      awaitOutcome(ctx, {
        kind: "await-outcome",
        target: { kind: "id", invocationId: previous },
        waiterId: spec.caller.id,
        completionId: spec.caller.completionId,
        notificationType: MessageType.CallCompletionNotification,
        peek: false,
      });
    }
    return { invocationId: previous, existing: true };
  }

  const scheduled = spec.executionTime !== null && spec.executionTime > ctx.now;
  store.invocations.insert({
    id: spec.invocationId,
    partition: ctx.partition,
    target,
    serviceType: handler.serviceType,
    handlerType: handler.handlerType,
    status: scheduled ? "scheduled" : "invoked",
    idempotencyKey: spec.idempotencyKey,
    caller: spec.caller,
    executionTime: spec.executionTime,
    retentionMs: handler.retentionMs,
    now: ctx.now,
  });
  store.invocations.append(spec.invocationId, 0, journal ?? [decodeEntry(spec.input)], ctx.now);
  ctx.actions.push({ kind: "started", target });
  if (spec.idempotencyKey !== null) {
    store.idempotency.put(target.service, target.key, target.handler, spec.idempotencyKey, spec.invocationId);
  } else if (isWorkflowRun(handler)) {
    store.idempotency.putWorkflowRun(target.service, target.key, spec.invocationId);
  }
  if (scheduled) {
    store.timers.add(ctx.partition, spec.executionTime!, spec.invocationId, "start", null);
    ctx.actions.push({ kind: "timer", fireAt: spec.executionTime! });
  } else {
    admit(ctx, store.invocations.get(spec.invocationId)!);
  }
  return { invocationId: spec.invocationId, existing: false };
}

/** Exclusive handlers of objects and a workflow's run handler hold the key's lock while they run. */
function needsLock(record: InvocationRecord): boolean {
  if (record.serviceType === "VIRTUAL_OBJECT") return record.handlerType !== "SHARED";
  if (record.serviceType === "WORKFLOW") return record.handlerType === "WORKFLOW";
  return false;
}

/** Lets an invocation run now, or queues it behind its key's lock holder. */
export function admit(ctx: ApplyContext, record: InvocationRecord): void {
  const { store } = ctx;
  if (needsLock(record)) {
    const holder = store.locks.holder(record.target.service, record.target.key);
    if (holder !== undefined && holder !== record.id) {
      store.invocations.setStatus(record.id, "inboxed", ctx.now);
      store.locks.enqueue(record.target.service, record.target.key, record.id);
      return;
    }
    if (holder === undefined) store.locks.take(record.target.service, record.target.key, record.id);
    store.invocations.setHoldsLock(record.id, true, ctx.now);
  }
  store.invocations.setStatus(record.id, "invoked", ctx.now);
  ctx.actions.push({ kind: "enqueue", invocationId: record.id });
}

/** Appends a notification to an invocation's journal, hands it to a live attempt, wakes a suspended one. */
export function deliverNotification(ctx: ApplyContext, id: InvocationId, entry: JournalFrame): boolean {
  const record = ctx.store.invocations.get(id);
  if (record === undefined || record.status === "completed") return false;
  ctx.store.invocations.append(id, record.journalLength, [entry], ctx.now);
  ctx.actions.push({ kind: "notify", invocationId: id, entry });
  // A suspended invocation resumes only for a notification it waits for (or any, when that is unknown).
  if (record.status === "suspended" && (record.awaiting === null || isAwaited(frameFromRaw(entry.frame).payload, record.awaiting))) {
    ctx.store.invocations.setStatus(id, "invoked", ctx.now);
    ctx.actions.push({ kind: "enqueue", invocationId: id });
  }
  return true;
}

/** Stores the outcome, releases the lock, and tells the caller and every waiter. */
export function completeInvocation(ctx: ApplyContext, record: InvocationRecord, outcome: InvocationOutcome): void {
  const { store } = ctx;
  store.invocations.complete(record.id, outcome, ctx.now);
  store.timers.deleteFor(record.id);
  if (record.holdsLock) {
    store.locks.release(record.target.service, record.target.key, record.id);
    admitNext(ctx, record.target.service, record.target.key);
  }
  if (record.caller !== null) {
    route(ctx, {
      kind: "notify",
      invocationId: record.caller.id,
      entry: encodeEntry(notifications.call(record.caller.completionId, outcome)),
    });
  }
  for (const waiter of store.waiters.take("outcome", record.id)) {
    route(ctx, {
      kind: "outcome",
      waiterId: waiter.waiterId,
      completionId: waiter.completionId,
      notificationType: waiter.notificationType,
      outcome: serializeOutcome(outcome),
    });
  }
  if (record.retentionMs === 0) purgeInvocation(ctx, record);
  ctx.actions.push({ kind: "completed", invocationId: record.id, target: record.target, outcome });
}

/**
 * Deletes a completed invocation with its journal and idempotency key (purged, or its retention
 * ended). A workflow's run takes the workflow's state and promises along, as Restate 1.7.12's purge
 * does (test/differential/workflows.test.ts), and its cleaner purges at the end of retention: a new
 * run of the key starts afresh.
 */
export function purgeInvocation(ctx: ApplyContext, record: InvocationRecord): void {
  const { store } = ctx;
  store.idempotency.deleteFor(record.id);
  store.invocations.delete(record.id);
  if (isWorkflowRun(record)) {
    store.state.clearAll(record.target.service, record.target.key);
    store.promises.clearAll(record.target.service, record.target.key);
  }
}

function admitNext(ctx: ApplyContext, service: string, key: string): void {
  for (;;) {
    const next = ctx.store.locks.dequeue(service, key);
    if (next === undefined) return;
    if (isStateMutationMarker(next)) {
      // An operator's state write waited for the lock; it needs no lock of its own: go on to the next.
      const mutation = ctx.store.stateMutations.take(next);
      if (mutation !== undefined) replaceState(ctx, mutation);
      continue;
    }
    const record = ctx.store.invocations.get(next);
    if (record === undefined || record.status !== "inboxed") continue;
    admit(ctx, record);
    return;
  }
}

function awaitOutcome(ctx: ApplyContext, message: Extract<PartitionMessage, { kind: "await-outcome" }>): void {
  const { store } = ctx;
  const { target } = message;
  const id =
    target.kind === "id"
      ? target.invocationId
      : target.kind === "workflow"
        ? store.idempotency.workflowRun(target.service, target.key)
        : store.idempotency.get(target.service, target.key, target.handler, target.idempotencyKey);
  const record = id === undefined ? undefined : store.invocations.get(id);
  const answer = (outcome: InvocationOutcome | null) =>
    route(ctx, {
      kind: "outcome",
      waiterId: message.waiterId,
      completionId: message.completionId,
      notificationType: message.notificationType,
      outcome: outcome === null ? null : serializeOutcome(outcome),
    });
  if (record === undefined) {
    answer(message.peek ? null : { kind: "failure", code: 404, message: "invocation not found" });
    return;
  }
  if (record.outcome !== null) answer(record.outcome);
  else if (message.peek) answer(null);
  else store.waiters.add("outcome", record.id, message);
}

export function cancelInvocation(ctx: ApplyContext, id: InvocationId): boolean {
  const record = ctx.store.invocations.get(id);
  if (record === undefined || record.status === "completed") return false;
  if (record.status === "scheduled" || record.status === "inboxed") {
    // Never started: there is no handler to see the signal. The caller learns it was cancelled, and
    // the invocation is forgotten, as Restate does.
    forgetUnstarted(ctx, record, CANCELLED);
    return true;
  }
  // The handler sees the built-in cancel signal at its next await; the SDK cancels its children.
  // A paused invocation is resumed so that it can.
  const delivered = deliverNotification(ctx, id, notifications.signal({ idx: 1 }, undefined));
  if (record.status === "paused") resumeInvocation(ctx, id);
  return delivered;
}

/** Starts a new attempt now: of a paused invocation, or at once instead of after a backoff or suspension. */
export function resumeInvocation(ctx: ApplyContext, id: InvocationId): void {
  // A live attempt machine may be backing off: end it, then start afresh.
  ctx.actions.push({ kind: "abort", invocationId: id });
  // Through the lock like any start: a started invocation holds its key's lock already, but one paused
  // before it started (earlier stet allowed that; such rows may be stored) must still wait for it.
  admit(ctx, ctx.store.invocations.get(id)!);
}

function forgetUnstarted(ctx: ApplyContext, record: InvocationRecord, outcome: InvocationOutcome): void {
  ctx.store.locks.removeFromInbox(record.id);
  completeInvocation(ctx, record, outcome);
  ctx.store.idempotency.deleteFor(record.id);
  ctx.store.invocations.delete(record.id);
}

export function killInvocation(ctx: ApplyContext, id: InvocationId): boolean {
  const record = ctx.store.invocations.get(id);
  if (record === undefined || record.status === "completed") return false;
  if (record.status === "scheduled" || record.status === "inboxed") {
    forgetUnstarted(ctx, record, KILLED);
    return true;
  }
  for (const child of ctx.store.invocations.listLiveChildren(id)) route(ctx, { kind: "kill", invocationId: child });
  ctx.store.locks.removeFromInbox(id);
  ctx.actions.push({ kind: "abort", invocationId: id });
  completeInvocation(ctx, record, KILLED);
  return true;
}
