import { MessageType } from "./message-type.js";
import { decodeMessage, decodeNotification } from "./messages.js";

/**
 * The completion ids whose notifications answer a command: a call's invocation id and result, a
 * one-way call's invocation id, and the result of a run, sleep, lazy state read, promise operation,
 * attach or output lookup. Commands the runtime answers by nothing (state writes, signals, eager state
 * reads, input, output) have none; so do custom and unknown entries.
 */
export function completionIdsOf(type: number, payload: Uint8Array): number[] {
  switch (type) {
    case MessageType.CallCommand: {
      const call = decodeMessage(MessageType.CallCommand, payload);
      return [call.invocationIdNotificationIdx, call.resultCompletionId];
    }
    case MessageType.OneWayCallCommand:
      return [decodeMessage(MessageType.OneWayCallCommand, payload).invocationIdNotificationIdx];
    case MessageType.GetLazyStateCommand:
    case MessageType.GetLazyStateKeysCommand:
    case MessageType.GetPromiseCommand:
    case MessageType.PeekPromiseCommand:
    case MessageType.CompletePromiseCommand:
    case MessageType.SleepCommand:
    case MessageType.RunCommand:
    case MessageType.AttachInvocationCommand:
    case MessageType.GetInvocationOutputCommand:
      return [decodeMessage(type, payload).resultCompletionId];
    default:
      return [];
  }
}

/** The completion id a notification answers, or undefined for a signal (by index or name). */
export function completionIdOfNotification(payload: Uint8Array): number | undefined {
  const { id } = decodeNotification(payload);
  return id.case === "completionId" ? id.value : undefined;
}
