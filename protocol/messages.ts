import { fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import * as pb from "./generated/service_protocol_pb.js";
import { encodeFrame, type Frame, type FrameFlags } from "./framing.js";
import { isCustom, messageTypeName, MessageType, type KnownMessageType } from "./message-type.js";
import { ProtocolError, ProtocolErrorCode } from "./protocol-errors.js";

/** The generated schema for every known message type id. */
export const messageSchemas = {
  [MessageType.Start]: pb.StartMessageSchema,
  [MessageType.Suspension]: pb.SuspensionMessageSchema,
  [MessageType.Error]: pb.ErrorMessageSchema,
  [MessageType.End]: pb.EndMessageSchema,
  [MessageType.ProposeRunCompletion]: pb.ProposeRunCompletionMessageSchema,
  [MessageType.AwaitingOn]: pb.AwaitingOnMessageSchema,
  [MessageType.ProposeRunCompletionAck]: pb.ProposeRunCompletionAckMessageSchema,

  [MessageType.InputCommand]: pb.InputCommandMessageSchema,
  [MessageType.OutputCommand]: pb.OutputCommandMessageSchema,
  [MessageType.GetLazyStateCommand]: pb.GetLazyStateCommandMessageSchema,
  [MessageType.SetStateCommand]: pb.SetStateCommandMessageSchema,
  [MessageType.ClearStateCommand]: pb.ClearStateCommandMessageSchema,
  [MessageType.ClearAllStateCommand]: pb.ClearAllStateCommandMessageSchema,
  [MessageType.GetLazyStateKeysCommand]: pb.GetLazyStateKeysCommandMessageSchema,
  [MessageType.GetEagerStateCommand]: pb.GetEagerStateCommandMessageSchema,
  [MessageType.GetEagerStateKeysCommand]: pb.GetEagerStateKeysCommandMessageSchema,
  [MessageType.GetPromiseCommand]: pb.GetPromiseCommandMessageSchema,
  [MessageType.PeekPromiseCommand]: pb.PeekPromiseCommandMessageSchema,
  [MessageType.CompletePromiseCommand]: pb.CompletePromiseCommandMessageSchema,
  [MessageType.SleepCommand]: pb.SleepCommandMessageSchema,
  [MessageType.CallCommand]: pb.CallCommandMessageSchema,
  [MessageType.OneWayCallCommand]: pb.OneWayCallCommandMessageSchema,
  [MessageType.SendSignalCommand]: pb.SendSignalCommandMessageSchema,
  [MessageType.RunCommand]: pb.RunCommandMessageSchema,
  [MessageType.AttachInvocationCommand]: pb.AttachInvocationCommandMessageSchema,
  [MessageType.GetInvocationOutputCommand]: pb.GetInvocationOutputCommandMessageSchema,
  [MessageType.CompleteAwakeableCommand]: pb.CompleteAwakeableCommandMessageSchema,

  [MessageType.GetLazyStateCompletionNotification]: pb.GetLazyStateCompletionNotificationMessageSchema,
  [MessageType.GetLazyStateKeysCompletionNotification]: pb.GetLazyStateKeysCompletionNotificationMessageSchema,
  [MessageType.GetPromiseCompletionNotification]: pb.GetPromiseCompletionNotificationMessageSchema,
  [MessageType.PeekPromiseCompletionNotification]: pb.PeekPromiseCompletionNotificationMessageSchema,
  [MessageType.CompletePromiseCompletionNotification]: pb.CompletePromiseCompletionNotificationMessageSchema,
  [MessageType.SleepCompletionNotification]: pb.SleepCompletionNotificationMessageSchema,
  [MessageType.CallCompletionNotification]: pb.CallCompletionNotificationMessageSchema,
  [MessageType.CallInvocationIdCompletionNotification]: pb.CallInvocationIdCompletionNotificationMessageSchema,
  [MessageType.RunCompletionNotification]: pb.RunCompletionNotificationMessageSchema,
  [MessageType.AttachInvocationCompletionNotification]: pb.AttachInvocationCompletionNotificationMessageSchema,
  [MessageType.GetInvocationOutputCompletionNotification]: pb.GetInvocationOutputCompletionNotificationMessageSchema,
  [MessageType.SignalNotification]: pb.SignalNotificationMessageSchema,
} as const satisfies Record<KnownMessageType, DescMessage>;

type Schemas = typeof messageSchemas;

/** The message type carried by frames of type id `T`, e.g. `MessageOf<0x0411>` = RunCommandMessage. */
export type MessageOf<T extends KnownMessageType> = MessageShape<Schemas[T]>;

/** A decoded message tagged with its type id; `switch (m.type)` narrows `m.message`. */
export type DecodedMessage = { [T in KnownMessageType]: { type: T; message: MessageOf<T> } }[KnownMessageType];

const schemaById = new Map<number, DescMessage>(
  Object.entries(messageSchemas).map(([id, schema]) => [Number(id), schema]),
);

/** The schema for a type id, or undefined for custom and unknown ids. */
export function schemaFor(type: number): DescMessage | undefined {
  return schemaById.get(type);
}

function requireSchema(type: number): DescMessage {
  const schema = schemaById.get(type);
  if (schema !== undefined) return schema;
  throw new ProtocolError(
    ProtocolErrorCode.UnknownMessageType,
    isCustom(type)
      ? `${messageTypeName(type)} is a custom entry: it has no schema and is journaled as opaque bytes`
      : `no message schema for type id ${messageTypeName(type)}`,
  );
}

/** Decodes a payload by its frame type id. Unknown fields are kept (newer SDKs may send them). */
export function decodeMessage<T extends KnownMessageType>(type: T, payload: Uint8Array): MessageOf<T>;
export function decodeMessage(type: number, payload: Uint8Array): DecodedMessage["message"];
export function decodeMessage(type: number, payload: Uint8Array): DecodedMessage["message"] {
  const schema = requireSchema(type);
  try {
    return fromBinary(schema, payload) as DecodedMessage["message"];
  } catch (cause) {
    throw new ProtocolError(
      ProtocolErrorCode.MalformedMessage,
      `cannot decode ${messageTypeName(type)} payload of ${payload.byteLength} bytes`,
      { cause },
    );
  }
}

/** Decodes a frame into its tagged message. */
export function decodeFrameMessage(frame: Pick<Frame, "type" | "payload">): DecodedMessage {
  return { type: frame.type, message: decodeMessage(frame.type, frame.payload) } as DecodedMessage;
}

/** Serializes a message for type id `type` (payload only; see {@link encodeMessageFrame}). */
export function encodeMessage<T extends KnownMessageType>(type: T, message: MessageOf<T>): Uint8Array {
  const schema = requireSchema(type);
  if (message.$typeName !== schema.typeName) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidArgument,
      `${message.$typeName} cannot be sent as ${messageTypeName(type)} (expects ${schema.typeName})`,
    );
  }
  return toBinary(schema, message);
}

/** Serializes a message and frames it. */
export function encodeMessageFrame<T extends KnownMessageType>(
  type: T,
  message: MessageOf<T>,
  flags?: FrameFlags,
): Buffer {
  return encodeFrame(type, encodeMessage(type, message), flags);
}

/**
 * Decodes any notification payload through the shape all notifications share
 * (NotificationTemplate): the id (completion, signal index or signal name) and the result.
 */
export function decodeNotification(payload: Uint8Array): pb.NotificationTemplate {
  try {
    return fromBinary(pb.NotificationTemplateSchema, payload);
  } catch (cause) {
    throw new ProtocolError(ProtocolErrorCode.MalformedMessage, "cannot decode notification payload", { cause });
  }
}
