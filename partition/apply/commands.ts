import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { JournalFrame } from "../../invoker/index.js";
import {
  AttachInvocationCommandMessageSchema,
  CallCommandMessageSchema,
  ClearStateCommandMessageSchema,
  CompleteAwakeableCommandMessageSchema,
  CompletePromiseCommandMessageSchema,
  GetInvocationOutputCommandMessageSchema,
  GetLazyStateCommandMessageSchema,
  GetLazyStateKeysCommandMessageSchema,
  GetPromiseCommandMessageSchema,
  InputCommandMessageSchema,
  MessageType,
  OneWayCallCommandMessageSchema,
  PeekPromiseCommandMessageSchema,
  SendSignalCommandMessageSchema,
  SetStateCommandMessageSchema,
  SleepCommandMessageSchema,
  encodeFrame,
  frameFromRaw,
  parseAwakeableId,
  parseInvocationId,
  type InvocationId,
} from "../../protocol/index.js";
import { toError } from "../../protocol/errors.js";
import type { InvocationOutcome, InvocationRecord } from "../types.js";
import { encodeEntry, type ApplyContext } from "./context.js";
import { BUILT_IN_SIGNAL_CANCEL, notifications } from "./frames.js";
import { deliverNotification, route } from "./lifecycle.js";
import { invocationIdFor } from "./invocation-ids.js";
import type { OutcomeTarget } from "./declarations.js";

/** Thrown for a command the runtime cannot carry out as asked; fails the attempt, not the process. */
export class CommandRejected extends Error {}

type Header = { key: string; value: string };

/**
 * Carries out one command the service journaled: state changes, timers, calls, signals, promises.
 * Completable commands answer with a notification, appended after the command in journal order.
 */
export function applyServiceCommand(ctx: ApplyContext, record: InvocationRecord, entry: JournalFrame): void {
  const { payload } = frameFromRaw(entry.frame);
  const { store } = ctx;
  const { service, key } = record.target;
  const reply = (frame: JournalFrame) => deliverNotification(ctx, record.id, frame);

  switch (entry.type) {
    case MessageType.SetStateCommand: {
      const m = fromBinary(SetStateCommandMessageSchema, payload);
      store.state.set(service, key, m.key, m.value?.content ?? new Uint8Array());
      return;
    }
    case MessageType.ClearStateCommand:
      store.state.clear(service, key, fromBinary(ClearStateCommandMessageSchema, payload).key);
      return;
    case MessageType.ClearAllStateCommand:
      store.state.clearAll(service, key);
      return;
    case MessageType.GetLazyStateCommand: {
      const m = fromBinary(GetLazyStateCommandMessageSchema, payload);
      reply(notifications.lazyState(m.resultCompletionId, store.state.get(service, key, m.key)));
      return;
    }
    case MessageType.GetLazyStateKeysCommand: {
      const m = fromBinary(GetLazyStateKeysCommandMessageSchema, payload);
      reply(notifications.lazyStateKeys(m.resultCompletionId, store.state.keys(service, key)));
      return;
    }
    case MessageType.SleepCommand: {
      const m = fromBinary(SleepCommandMessageSchema, payload);
      const fireAt = Number(m.wakeUpTime);
      store.timers.add(ctx.partition, fireAt, record.id, "sleep", m.resultCompletionId);
      ctx.actions.push({ kind: "timer", fireAt });
      return;
    }
    case MessageType.CallCommand: {
      const m = fromBinary(CallCommandMessageSchema, payload);
      const childId = startChild(ctx, {
        service: m.serviceName,
        handler: m.handlerName,
        key: m.key,
        parameter: m.parameter,
        headers: m.headers,
        idempotencyKey: m.idempotencyKey ?? null,
        executionTime: null,
        caller: { id: record.id, completionId: m.resultCompletionId },
        onUnknown: (failure) => reply(notifications.call(m.resultCompletionId, failure)),
      });
      if (childId !== undefined) reply(notifications.callInvocationId(m.invocationIdNotificationIdx, childId));
      return;
    }
    case MessageType.OneWayCallCommand: {
      const m = fromBinary(OneWayCallCommandMessageSchema, payload);
      const invokeAt = Number(m.invokeTime);
      const childId = startChild(ctx, {
        service: m.serviceName,
        handler: m.handlerName,
        key: m.key,
        parameter: m.parameter,
        headers: m.headers,
        idempotencyKey: m.idempotencyKey ?? null,
        executionTime: invokeAt > 0 ? invokeAt : null,
        caller: null,
        onUnknown: () => {},
      });
      reply(notifications.callInvocationId(m.invocationIdNotificationIdx, childId ?? ""));
      return;
    }
    case MessageType.SendSignalCommand: {
      const m = fromBinary(SendSignalCommandMessageSchema, payload);
      const target = parseTargetId(m.targetInvocationId);
      if (m.signalId.case === "idx" && m.signalId.value === BUILT_IN_SIGNAL_CANCEL) {
        route(ctx, { kind: "cancel", invocationId: target });
        return;
      }
      const id = m.signalId.case === "idx" ? { idx: m.signalId.value } : { name: m.signalId.value ?? "" };
      const outcome = outcomeOf(m.result.case === "value" ? { value: m.result.value.content } : m.result.case === "failure" ? { failure: m.result.value } : {});
      route(ctx, { kind: "notify", invocationId: target, entry: encodeEntry(notifications.signal(id, outcome)) });
      return;
    }
    case MessageType.CompleteAwakeableCommand: {
      const m = fromBinary(CompleteAwakeableCommandMessageSchema, payload);
      let parsed: ReturnType<typeof parseAwakeableId>;
      try {
        parsed = parseAwakeableId(m.awakeableId);
      } catch (error) {
        throw new CommandRejected(`CompleteAwakeable: ${toError(error).message}`);
      }
      const outcome = outcomeOf(m.result.case === "failure" ? { failure: m.result.value } : { value: m.result.case === "value" ? m.result.value.content : new Uint8Array() })!;
      route(ctx, {
        kind: "notify",
        invocationId: parsed.invocationId,
        entry: encodeEntry(notifications.signal({ idx: parsed.signalIndex }, outcome)),
      });
      return;
    }
    case MessageType.GetPromiseCommand: {
      const m = fromBinary(GetPromiseCommandMessageSchema, payload);
      const value = store.promises.get(service, key, m.key);
      if (value !== undefined) reply(notifications.getPromise(m.resultCompletionId, value));
      else
        store.waiters.add("promise", promiseTarget(service, key, m.key), {
          waiterId: record.id,
          completionId: m.resultCompletionId,
          notificationType: MessageType.GetPromiseCompletionNotification,
        });
      return;
    }
    case MessageType.PeekPromiseCommand: {
      const m = fromBinary(PeekPromiseCommandMessageSchema, payload);
      reply(notifications.peekPromise(m.resultCompletionId, store.promises.get(service, key, m.key)));
      return;
    }
    case MessageType.CompletePromiseCommand: {
      const m = fromBinary(CompletePromiseCommandMessageSchema, payload);
      if (store.promises.get(service, key, m.key) !== undefined) {
        reply(notifications.completePromise(m.resultCompletionId, { code: 409, message: "promise was already completed" }));
        return;
      }
      const outcome = outcomeOf(
        m.completion.case === "completionFailure"
          ? { failure: m.completion.value }
          : { value: m.completion.case === "completionValue" ? m.completion.value.content : new Uint8Array() },
      )!;
      completePromise(ctx, service, key, m.key, outcome);
      reply(notifications.completePromise(m.resultCompletionId, undefined));
      return;
    }
    case MessageType.AttachInvocationCommand:
    case MessageType.GetInvocationOutputCommand: {
      const attach = entry.type === MessageType.AttachInvocationCommand;
      const m = attach
        ? fromBinary(AttachInvocationCommandMessageSchema, payload)
        : fromBinary(GetInvocationOutputCommandMessageSchema, payload);
      route(ctx, {
        kind: "await-outcome",
        target: outcomeTarget(m.target),
        waiterId: record.id,
        completionId: m.resultCompletionId,
        notificationType: attach ? MessageType.AttachInvocationCompletionNotification : MessageType.GetInvocationOutputCompletionNotification,
        peek: !attach,
      });
      return;
    }
    default:
      // Input, Output, Run, eager state reads and custom entries are journal-only.
      return;
  }
}

/** Resolves a durable promise and wakes everyone who waits on it. */
export function completePromise(ctx: ApplyContext, service: string, key: string, name: string, outcome: InvocationOutcome): boolean {
  if (ctx.store.promises.get(service, key, name) !== undefined) return false;
  ctx.store.promises.put(service, key, name, outcome);
  for (const waiter of ctx.store.waiters.take("promise", promiseTarget(service, key, name))) {
    deliverNotification(ctx, waiter.waiterId, notifications.getPromise(waiter.completionId, outcome));
  }
  return true;
}

/** A command's result (a value, a failure, or nothing) as an outcome. */
function outcomeOf(result: { value?: Uint8Array; failure?: { code: number; message: string } }): InvocationOutcome | undefined {
  if (result.failure !== undefined) return { kind: "failure", code: result.failure.code, message: result.failure.message };
  if (result.value !== undefined) return { kind: "value", value: result.value };
  return undefined;
}

function promiseTarget(service: string, key: string, name: string): string {
  return `${service}\u0000${key}\u0000${name}`;
}

interface ChildRequest {
  readonly service: string;
  readonly handler: string;
  readonly key: string;
  readonly parameter: Uint8Array;
  readonly headers: readonly Header[];
  readonly idempotencyKey: string | null;
  readonly executionTime: number | null;
  readonly caller: { readonly id: InvocationId; readonly completionId: number } | null;
  readonly onUnknown: (failure: InvocationOutcome) => void;
}

function startChild(ctx: ApplyContext, req: ChildRequest): InvocationId | undefined {
  const handler = ctx.services.resolve(req.service, req.handler);
  if (handler === undefined) {
    req.onUnknown({ kind: "failure", code: 404, message: `service '${req.service}' or its handler '${req.handler}' not found` });
    return undefined;
  }
  const target = { service: req.service, handler: req.handler, key: req.key };
  const invocationId = invocationIdFor(target, handler, req.idempotencyKey);
  route(ctx, {
    kind: "invoke",
    spec: {
      invocationId,
      target,
      handler,
      input: encodeEntry(inputEntry(req.parameter, req.headers)),
      idempotencyKey: req.idempotencyKey,
      caller: req.caller,
      executionTime: req.executionTime,
    },
  });
  return invocationId;
}

function outcomeTarget(target: { case: string | undefined; value?: unknown }): OutcomeTarget {
  switch (target.case) {
    case "invocationId":
      return { kind: "id", invocationId: parseTargetId(target.value as string) };
    case "workflowTarget": {
      const t = target.value as { workflowName: string; workflowKey: string };
      return { kind: "workflow", service: t.workflowName, key: t.workflowKey };
    }
    case "idempotentRequestTarget": {
      const t = target.value as { serviceName: string; serviceKey?: string; handlerName: string; idempotencyKey: string };
      return { kind: "idempotent", service: t.serviceName, key: t.serviceKey ?? "", handler: t.handlerName, idempotencyKey: t.idempotencyKey };
    }
    default:
      throw new CommandRejected("attach/get-output command without a target");
  }
}

function parseTargetId(raw: string): InvocationId {
  try {
    return parseInvocationId(raw);
  } catch (error) {
    throw new CommandRejected(`invalid target invocation id: ${toError(error).message}`);
  }
}

/** The InputCommand journal entry that starts an invocation. */
export function inputEntry(body: Uint8Array, headers: ReadonlyArray<Header | readonly [string, string]>): JournalFrame {
  const message = create(InputCommandMessageSchema, {
    headers: headers.map((h) => ("key" in h ? { key: h.key, value: h.value } : { key: h[0], value: h[1] })),
    value: { content: body },
  });
  return { type: MessageType.InputCommand, frame: encodeFrame(MessageType.InputCommand, toBinary(InputCommandMessageSchema, message)) };
}
