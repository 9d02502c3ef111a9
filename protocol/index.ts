/**
 * The protocol folder's public face: framing, message schemas and codecs, message type ids,
 * version negotiation, id formats and the discovery manifest. Pure: bytes in, messages out.
 */
export * from "./protocol-errors.js";
export * from "./framing.js";
export * from "./message-type.js";
export * from "./messages.js";
export * from "./version.js";
export * from "./ids.js";
export * from "./generated/service_protocol_pb.js";
export { create, fromBinary, toBinary, isMessage, clone, equals } from "@bufbuild/protobuf";
export type { MessageInitShape, MessageShape, DescMessage } from "@bufbuild/protobuf";
export * from "./manifest.js";
export * from "./awaited.js";
export * from "./command-completions.js";
