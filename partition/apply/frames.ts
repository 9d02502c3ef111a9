import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import type { JournalFrame } from "../../invoker/index.js";
import {
  AttachInvocationCompletionNotificationMessageSchema,
  CallCompletionNotificationMessageSchema,
  CallInvocationIdCompletionNotificationMessageSchema,
  CompletePromiseCompletionNotificationMessageSchema,
  GetInvocationOutputCompletionNotificationMessageSchema,
  GetLazyStateCompletionNotificationMessageSchema,
  GetLazyStateKeysCompletionNotificationMessageSchema,
  GetPromiseCompletionNotificationMessageSchema,
  MessageType,
  PeekPromiseCompletionNotificationMessageSchema,
  SignalNotificationMessageSchema,
  SleepCompletionNotificationMessageSchema,
  encodeFrame,
} from "../../protocol/index.js";
import type { InvocationOutcome } from "../types.js";

function frame<S extends DescMessage>(type: number, schema: S, init: MessageInitShape<S>): JournalFrame {
  return { type, frame: encodeFrame(type, toBinary(schema, create(schema, init))) };
}

type Result = { case: "value"; value: { content: Uint8Array } } | { case: "failure"; value: { code: number; message: string } };

/** An outcome in the `result` oneof shape notifications share. */
export function resultOf(outcome: InvocationOutcome): Result {
  return outcome.kind === "value"
    ? { case: "value", value: { content: outcome.value } }
    : { case: "failure", value: { code: outcome.code, message: outcome.message } };
}

/** The same, for notifications that may also say "nothing" (peek, output, signal): `void`. */
function resultOrVoid(outcome: InvocationOutcome | undefined): Result | { case: "void"; value: {} } {
  return outcome === undefined ? { case: "void", value: {} } : resultOf(outcome);
}

/** The notifications the runtime produces, as stored journal frames. */
export const notifications = {
  sleep: (completionId: number) =>
    frame(MessageType.SleepCompletionNotification, SleepCompletionNotificationMessageSchema, { completionId, void: {} }),
  callInvocationId: (completionId: number, invocationId: string) =>
    frame(MessageType.CallInvocationIdCompletionNotification, CallInvocationIdCompletionNotificationMessageSchema, {
      completionId,
      invocationId,
    }),
  call: (completionId: number, outcome: InvocationOutcome) =>
    frame(MessageType.CallCompletionNotification, CallCompletionNotificationMessageSchema, { completionId, result: resultOf(outcome) }),
  lazyState: (completionId: number, value: Uint8Array | undefined) =>
    frame(MessageType.GetLazyStateCompletionNotification, GetLazyStateCompletionNotificationMessageSchema, {
      completionId,
      result: value === undefined ? { case: "void", value: {} } : { case: "value", value: { content: value } },
    }),
  lazyStateKeys: (completionId: number, keys: Uint8Array[]) =>
    frame(MessageType.GetLazyStateKeysCompletionNotification, GetLazyStateKeysCompletionNotificationMessageSchema, {
      completionId,
      stateKeys: { keys },
    }),
  getPromise: (completionId: number, outcome: InvocationOutcome) =>
    frame(MessageType.GetPromiseCompletionNotification, GetPromiseCompletionNotificationMessageSchema, {
      completionId,
      result: resultOf(outcome),
    }),
  peekPromise: (completionId: number, outcome: InvocationOutcome | undefined) =>
    frame(MessageType.PeekPromiseCompletionNotification, PeekPromiseCompletionNotificationMessageSchema, {
      completionId,
      result: resultOrVoid(outcome),
    }),
  completePromise: (completionId: number, failure: { code: number; message: string } | undefined) =>
    frame(MessageType.CompletePromiseCompletionNotification, CompletePromiseCompletionNotificationMessageSchema, {
      completionId,
      result: failure === undefined ? { case: "void", value: {} } : { case: "failure", value: failure },
    }),
  attach: (completionId: number, outcome: InvocationOutcome) =>
    frame(MessageType.AttachInvocationCompletionNotification, AttachInvocationCompletionNotificationMessageSchema, {
      completionId,
      result: resultOf(outcome),
    }),
  output: (completionId: number, outcome: InvocationOutcome | undefined) =>
    frame(MessageType.GetInvocationOutputCompletionNotification, GetInvocationOutputCompletionNotificationMessageSchema, {
      completionId,
      result: resultOrVoid(outcome),
    }),
  signal: (id: { idx: number } | { name: string }, outcome: InvocationOutcome | undefined) =>
    frame(MessageType.SignalNotification, SignalNotificationMessageSchema, {
      signalId: "idx" in id ? { case: "idx", value: id.idx } : { case: "name", value: id.name },
      result: resultOrVoid(outcome),
    }),
} as const;

/** The completion notification an outcome waiter asked for, by its notification type. */
export function outcomeNotification(type: number, completionId: number, outcome: InvocationOutcome): JournalFrame {
  switch (type) {
    case MessageType.CallCompletionNotification:
      return notifications.call(completionId, outcome);
    case MessageType.GetInvocationOutputCompletionNotification:
      return notifications.output(completionId, outcome);
    case MessageType.GetPromiseCompletionNotification:
      return notifications.getPromise(completionId, outcome);
    default:
      return notifications.attach(completionId, outcome);
  }
}

export const BUILT_IN_SIGNAL_CANCEL = 1;
