import { MessageType } from "../../protocol/index.js";
import { attachTarget, invocationTarget, resultLite, signalId, str, strOrNull, utf8Key, type Callee } from "./entry-json-parts.js";
import { COMMAND_NAMES, COMPLETION_NAMES, messageOf, type CommandEntry, type DecodedEntry } from "./entry-json.js";

const m = messageOf;

/**
 * `entry_lite_json`: serde_json of Restate's `EntryLite`, the entry without payloads (the web UI's
 * journal view reads it). Undefined where Restate shows none; throws for a state key that is not UTF-8.
 */
export function entryLiteJson(entry: DecodedEntry, callee: Callee): string | undefined {
  if (entry.kind === "notification") return notificationLite(entry);
  const body = commandLite(entry, callee);
  const name = COMMAND_NAMES.get(entry.type);
  return body === undefined || name === undefined ? undefined : `{"Command":{"${name}":${body}}}`;
}

function commandLite(entry: CommandEntry, callee: Callee): string | undefined {
  // Commands whose lite form carries their name leave it out when it is empty.
  const name = entry.message.name ? `,"name":${str(entry.message.name)}` : "";
  switch (entry.type) {
    case MessageType.InputCommand:
    case MessageType.ClearAllStateCommand:
    case MessageType.GetEagerStateKeysCommand:
      return "{}";
    case MessageType.OutputCommand: {
      const r = resultLite(m(entry, "OutputCommand").result);
      return r === undefined ? undefined : `{"result":${r}}`;
    }
    case MessageType.GetLazyStateCommand: {
      const c = m(entry, "GetLazyStateCommand");
      return `{"key":${utf8Key(c.key)},"completion_id":${c.resultCompletionId}}`;
    }
    case MessageType.SetStateCommand:
    case MessageType.ClearStateCommand:
      return `{"key":${utf8Key(m(entry, "SetStateCommand").key)}}`;
    case MessageType.GetLazyStateKeysCommand:
      return `{"completion_id":${m(entry, "GetLazyStateKeysCommand").resultCompletionId}}`;
    case MessageType.GetEagerStateCommand: {
      const c = m(entry, "GetEagerStateCommand");
      const r = resultLite(c.result);
      return r === undefined ? undefined : `{"key":${utf8Key(c.key)},"result":${r}}`;
    }
    case MessageType.GetPromiseCommand:
    case MessageType.PeekPromiseCommand:
    case MessageType.CompletePromiseCommand: {
      const c = m(entry, "GetPromiseCommand");
      return `{"key":${str(c.key)},"completion_id":${c.resultCompletionId}}`;
    }
    case MessageType.SleepCommand: {
      const c = m(entry, "SleepCommand");
      return `{"wake_up_time":${c.wakeUpTime},"completion_id":${c.resultCompletionId}${name}}`;
    }
    case MessageType.CallCommand: {
      const c = m(entry, "CallCommand");
      return `{${calleeFields(c, callee)},"invocation_id_completion_id":${c.invocationIdNotificationIdx},"result_completion_id":${c.resultCompletionId}${name}}`;
    }
    case MessageType.OneWayCallCommand: {
      const c = m(entry, "OneWayCallCommand");
      return `{${calleeFields(c, callee)},"invoke_time":${c.invokeTime},"invocation_id_completion_id":${c.invocationIdNotificationIdx}${name}}`;
    }
    case MessageType.SendSignalCommand: {
      const c = m(entry, "SendSignalCommand");
      const [id, r] = [signalId(c.signalId), resultLite(c.result)];
      return id === undefined || r === undefined ? undefined : `{"target_invocation_id":${str(c.targetInvocationId)},"signal_id":${id},"result":${r}}`;
    }
    case MessageType.RunCommand:
      return `{"completion_id":${m(entry, "RunCommand").resultCompletionId}${name}}`;
    case MessageType.AttachInvocationCommand:
    case MessageType.GetInvocationOutputCommand: {
      const c = m(entry, "AttachInvocationCommand");
      const target = attachTarget(c.target);
      return target === undefined ? undefined : `{"target":${target},"completion_id":${c.resultCompletionId}}`;
    }
    case MessageType.CompleteAwakeableCommand: {
      const c = m(entry, "CompleteAwakeableCommand");
      const r = resultLite(c.result);
      return r === undefined ? undefined : `{"id":${str(c.awakeableId)},"result":${r}}`;
    }
    default:
      return undefined;
  }
}

function calleeFields(c: { serviceName: string; handlerName: string; key: string; scope?: string }, callee: Callee): string {
  return `"invocation_id":${strOrNull(callee.id ?? undefined)},"invocation_target":${invocationTarget(c.serviceName, c.handlerName, c.key, c.scope, callee)}`;
}

/** `{"Notification":{"ty":{"Completion":"Run"},"id":{"CompletionId":3},"result":"Success"}}`; signals: `"ty":"Signal"`. */
function notificationLite(entry: Extract<DecodedEntry, { kind: "notification" }>): string | undefined {
  const n = entry.message;
  const completion = COMPLETION_NAMES.get(entry.type);
  const ty = entry.type === MessageType.SignalNotification ? `"Signal"` : completion === undefined ? undefined : `{"Completion":"${completion}"}`;
  const id =
    n.id.case === "completionId"
      ? `{"CompletionId":${n.id.value}}`
      : n.id.case === "signalId"
        ? `{"SignalIndex":${n.id.value}}`
        : n.id.case === "signalName"
          ? `{"SignalName":${str(n.id.value)}}`
          : undefined;
  const result = n.result.case === "invocationId" ? `"InvocationId"` : n.result.case === "stateKeys" ? `"StateKeys"` : resultLite(n.result);
  return ty === undefined || id === undefined || result === undefined ? undefined : `{"Notification":{"ty":${ty},"id":${id},"result":${result}}}`;
}
