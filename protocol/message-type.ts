/**
 * The 16-bit message type ids of the service protocol (spec: "Message types"). The id space is cut
 * into namespaces: control 0x0000–0x03FF, commands 0x0400–0x7FFF, notifications 0x8000–0xFBFF,
 * custom entries 0xFC00–0xFFFF (opaque to the runtime: stored and replayed, never interpreted).
 */
export const MessageType = {
  Start: 0x0000,
  Suspension: 0x0001,
  Error: 0x0002,
  End: 0x0003,
  // 0x0004 was CommandAck, retired before v5.
  ProposeRunCompletion: 0x0005,
  AwaitingOn: 0x0006,
  ProposeRunCompletionAck: 0x0007,

  InputCommand: 0x0400,
  OutputCommand: 0x0401,
  GetLazyStateCommand: 0x0402,
  SetStateCommand: 0x0403,
  ClearStateCommand: 0x0404,
  ClearAllStateCommand: 0x0405,
  GetLazyStateKeysCommand: 0x0406,
  GetEagerStateCommand: 0x0407,
  GetEagerStateKeysCommand: 0x0408,
  GetPromiseCommand: 0x0409,
  PeekPromiseCommand: 0x040a,
  CompletePromiseCommand: 0x040b,
  SleepCommand: 0x040c,
  CallCommand: 0x040d,
  OneWayCallCommand: 0x040e,
  SendSignalCommand: 0x0410,
  RunCommand: 0x0411,
  AttachInvocationCommand: 0x0412,
  GetInvocationOutputCommand: 0x0413,
  CompleteAwakeableCommand: 0x0414,

  GetLazyStateCompletionNotification: 0x8002,
  GetLazyStateKeysCompletionNotification: 0x8006,
  GetPromiseCompletionNotification: 0x8009,
  PeekPromiseCompletionNotification: 0x800a,
  CompletePromiseCompletionNotification: 0x800b,
  SleepCompletionNotification: 0x800c,
  CallCompletionNotification: 0x800d,
  CallInvocationIdCompletionNotification: 0x800e,
  RunCompletionNotification: 0x8011,
  AttachInvocationCompletionNotification: 0x8012,
  GetInvocationOutputCompletionNotification: 0x8013,
  SignalNotification: 0xfbff,
} as const;

export type MessageTypeName = keyof typeof MessageType;
/** A type id that stet knows a schema for (custom ids are plain numbers). */
export type KnownMessageType = (typeof MessageType)[MessageTypeName];

export const COMMAND_RANGE_START = 0x0400;
export const NOTIFICATION_RANGE_START = 0x8000;
export const CUSTOM_RANGE_START = 0xfc00;

/** Commands: journal entries written by the SDK (or replayed to it). */
export function isCommand(type: number): boolean {
  return type >= COMMAND_RANGE_START && type < NOTIFICATION_RANGE_START;
}

/** Notifications: completions and signals delivered to the invocation. */
export function isNotification(type: number): boolean {
  return type >= NOTIFICATION_RANGE_START && type < CUSTOM_RANGE_START;
}

/** Custom entries: SDK-defined, journaled as opaque bytes. */
export function isCustom(type: number): boolean {
  return type >= CUSTOM_RANGE_START && type <= 0xffff;
}

/** Control messages: Start, Suspension, Error, End, run proposals and acks, AwaitingOn. */
export function isControl(type: number): boolean {
  return type >= 0 && type < COMMAND_RANGE_START;
}

/** Whether the entry belongs in the journal (commands, notifications, custom entries). */
export function isJournalEntry(type: number): boolean {
  return type >= COMMAND_RANGE_START && type <= 0xffff;
}

const namesById = new Map<number, MessageTypeName>(
  (Object.entries(MessageType) as [MessageTypeName, number][]).map(([name, id]) => [id, name]),
);

/** True for the ids in {@link MessageType}. */
export function isKnownMessageType(type: number): type is KnownMessageType {
  return namesById.has(type);
}

/** A readable name for logs and errors: `RunCommand`, `Custom(0xfc01)`, `Unknown(0x0042)`. */
export function messageTypeName(type: number): string {
  const name = namesById.get(type);
  if (name !== undefined) return name;
  const hex = `0x${type.toString(16).padStart(4, "0")}`;
  return isCustom(type) ? `Custom(${hex})` : `Unknown(${hex})`;
}
