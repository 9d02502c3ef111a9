import { MessageType, type MessageOf, type NotificationTemplate } from "../../protocol/index.js";
import {
  attachTarget,
  bytes,
  duration,
  failure,
  headers,
  invocationTarget,
  result,
  signalId,
  str,
  strOrNull,
  utf8Key,
  type Callee,
} from "./entry-json-parts.js";

/** A journal entry decoded once for all the columns that show it: a command's message, or any notification's shared shape. */
export type DecodedEntry =
  | { readonly kind: "command"; readonly type: number; readonly message: { readonly name?: string } }
  | { readonly kind: "notification"; readonly type: number; readonly message: NotificationTemplate };

export type CommandEntry = Extract<DecodedEntry, { readonly kind: "command" }>;

/** Restate's name of a notification's completion (`Run`, `CallInvocationId`) by type id; signals have none. */
export const COMPLETION_NAMES = new Map<number, string>(
  Object.entries(MessageType)
    .filter(([name]) => name.endsWith("CompletionNotification"))
    .map(([name, type]) => [type, name.replace(/CompletionNotification$/, "")]),
);

/** A command entry's message as the type its id names (the caller has switched on `entry.type`). */
export const messageOf = <T extends keyof typeof MessageType>(entry: DecodedEntry, _type: T) =>
  entry.message as unknown as MessageOf<(typeof MessageType)[T]>;
const m = messageOf;

/** Restate's name of a command (`Run`, `OneWayCall`) by type id. */
export const COMMAND_NAMES = new Map<number, string>(
  Object.entries(MessageType)
    .filter(([name]) => name.endsWith("Command"))
    .map(([name, type]) => [type, name.replace(/Command$/, "")]),
);

/**
 * `entry_json`: serde_json of Restate's `journal_v2::Entry`. Undefined where Restate shows none (an entry
 * it cannot decode: a missing required field, an unknown type); throws for a state key that is not UTF-8.
 */
export function entryJson(entry: DecodedEntry, callee: Callee): string | undefined {
  if (entry.kind === "notification") return notificationJson(entry.type, entry.message);
  const body = commandBody(entry, callee);
  const name = COMMAND_NAMES.get(entry.type);
  return body === undefined || name === undefined ? undefined : `{"Command":{"${name}":${body}}}`;
}

function commandBody(entry: CommandEntry, callee: Callee): string | undefined {
  const name = `"name":${str(entry.message.name ?? "")}`;
  switch (entry.type) {
    case MessageType.InputCommand: {
      const c = m(entry, "InputCommand");
      return `{"headers":${headers(c.headers)},"payload":${bytes(c.value?.content)},${name}}`;
    }
    case MessageType.OutputCommand: {
      const r = result(m(entry, "OutputCommand").result);
      return r === undefined ? undefined : `{"result":${r},${name}}`;
    }
    case MessageType.GetLazyStateCommand: {
      const c = m(entry, "GetLazyStateCommand");
      return `{"key":${utf8Key(c.key)},"completion_id":${c.resultCompletionId},${name}}`;
    }
    case MessageType.SetStateCommand: {
      const c = m(entry, "SetStateCommand");
      return `{"key":${utf8Key(c.key)},"value":${bytes(c.value?.content)},${name}}`;
    }
    case MessageType.ClearStateCommand:
      return `{"key":${utf8Key(m(entry, "ClearStateCommand").key)},${name}}`;
    case MessageType.ClearAllStateCommand:
      return `{${name}}`;
    case MessageType.GetLazyStateKeysCommand:
      return `{"completion_id":${m(entry, "GetLazyStateKeysCommand").resultCompletionId},${name}}`;
    case MessageType.GetEagerStateCommand: {
      const c = m(entry, "GetEagerStateCommand");
      const r = result(c.result);
      return r === undefined ? undefined : `{"key":${utf8Key(c.key)},"result":${r},${name}}`;
    }
    case MessageType.GetEagerStateKeysCommand:
      return `{"state_keys":[${(m(entry, "GetEagerStateKeysCommand").value?.keys ?? []).map(utf8Key).join(",")}],${name}}`;
    case MessageType.GetPromiseCommand:
    case MessageType.PeekPromiseCommand: {
      const c = m(entry, "GetPromiseCommand");
      return `{"key":${str(c.key)},"completion_id":${c.resultCompletionId},${name}}`;
    }
    case MessageType.CompletePromiseCommand: {
      const c = m(entry, "CompletePromiseCommand");
      const value = result(c.completion);
      return value === undefined ? undefined : `{"key":${str(c.key)},"value":${value},"completion_id":${c.resultCompletionId},${name}}`;
    }
    case MessageType.SleepCommand: {
      const c = m(entry, "SleepCommand");
      return `{"wake_up_time":${c.wakeUpTime},"completion_id":${c.resultCompletionId},${name}}`;
    }
    case MessageType.CallCommand: {
      const c = m(entry, "CallCommand");
      return `{"request":${callRequest(c, callee)},"invocation_id_completion_id":${c.invocationIdNotificationIdx},"result_completion_id":${c.resultCompletionId},${name}}`;
    }
    case MessageType.OneWayCallCommand: {
      const c = m(entry, "OneWayCallCommand");
      return `{"request":${callRequest(c, callee)},"invoke_time":${c.invokeTime},"invocation_id_completion_id":${c.invocationIdNotificationIdx},${name}}`;
    }
    case MessageType.SendSignalCommand: {
      const c = m(entry, "SendSignalCommand");
      const [id, r] = [signalId(c.signalId), result(c.result)];
      return id === undefined || r === undefined
        ? undefined
        : `{"target_invocation_id":${str(c.targetInvocationId)},"signal_id":${id},"result":${r},"name":${str(c.entryName)}}`;
    }
    case MessageType.RunCommand:
      return `{"completion_id":${m(entry, "RunCommand").resultCompletionId},${name}}`;
    case MessageType.AttachInvocationCommand:
    case MessageType.GetInvocationOutputCommand: {
      const c = m(entry, "AttachInvocationCommand");
      const target = attachTarget(c.target);
      return target === undefined ? undefined : `{"target":${target},"completion_id":${c.resultCompletionId},${name}}`;
    }
    case MessageType.CompleteAwakeableCommand: {
      const c = m(entry, "CompleteAwakeableCommand");
      const r = result(c.result);
      return r === undefined ? undefined : `{"id":${str(c.awakeableId)},"result":${r},${name}}`;
    }
    default:
      return undefined;
  }
}

/**
 * `CallRequest`. Restate keeps the callee's id, target kind and retention beside the command; stet reads
 * them from the callee's id notification and the callee's row. There is no tracing: the span context is
 * the empty one Restate writes when tracing is off.
 */
function callRequest(c: MessageOf<typeof MessageType.CallCommand> | MessageOf<typeof MessageType.OneWayCallCommand>, callee: Callee): string {
  const retention = duration(callee.retentionMs ?? 0);
  return (
    `{"invocation_id":${strOrNull(callee.id ?? undefined)},"invocation_target":${invocationTarget(c.serviceName, c.handlerName, c.key, c.scope, callee)},` +
    `"span_context":${EMPTY_SPAN_CONTEXT},"parameter":${bytes(c.parameter)},"headers":${headers(c.headers)},` +
    `"idempotency_key":${strOrNull(c.idempotencyKey)},"completion_retention_duration":${retention},"journal_retention_duration":${retention}}`
  );
}

const EMPTY_SPAN_CONTEXT =
  `{"span_context":{"trace_id":[${new Array(16).fill(0).join(",")}],"span_id":[${new Array(8).fill(0).join(",")}],` +
  `"trace_flags":0,"is_remote":false,"trace_state":""},"cause":null}`;

/** `{"Notification":{"Completion":{"Run":{…}}}}` or `{"Notification":{"Signal":{…}}}`. */
function notificationJson(type: number, n: NotificationTemplate): string | undefined {
  if (type === MessageType.SignalNotification) {
    const id = n.id.case === "signalId" ? `{"Index":${n.id.value}}` : n.id.case === "signalName" ? `{"Name":${str(n.id.value)}}` : undefined;
    const r = result(n.result);
    return id === undefined || r === undefined ? undefined : `{"Notification":{"Signal":{"id":${id},"result":${r}}}}`;
  }
  const name = COMPLETION_NAMES.get(type);
  if (name === undefined || n.id.case !== "completionId") return undefined;
  const id = `"completion_id":${n.id.value}`;
  let body: string | undefined;
  switch (type) {
    case MessageType.SleepCompletionNotification:
      body = `{${id}}`;
      break;
    case MessageType.CallInvocationIdCompletionNotification:
      body = n.result.case === "invocationId" ? `{${id},"invocation_id":${str(n.result.value)}}` : undefined;
      break;
    case MessageType.GetLazyStateKeysCompletionNotification:
      body = `{${id},"state_keys":[${(n.result.case === "stateKeys" ? n.result.value.keys : []).map(utf8Key).join(",")}]}`;
      break;
    default: {
      const r = result(n.result);
      body = r === undefined ? undefined : `{${id},"result":${r}}`;
    }
  }
  return body === undefined ? undefined : `{"Notification":{"Completion":{"${name}":${body}}}}`;
}
