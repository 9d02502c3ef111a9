import { StetError } from "./errors.js";

/**
 * Coded errors of the protocol folder. Codes are stable (tests pin them); `status` is the HTTP
 * status an API answers with when the error reaches a client. Malformed ids come from callers of
 * the ingress/admin APIs (400); framing and codec errors come from a deployment that broke the
 * protocol (502 when surfaced, though the invoker normally turns them into a failed attempt).
 */
export const ProtocolErrorCode = {
  FrameTooLarge: "STET_PROTO_FRAME_TOO_LARGE",
  TruncatedFrame: "STET_PROTO_TRUNCATED_FRAME",
  MalformedFrame: "STET_PROTO_MALFORMED_FRAME",
  UnknownMessageType: "STET_PROTO_UNKNOWN_MESSAGE_TYPE",
  MalformedMessage: "STET_PROTO_MALFORMED_MESSAGE",
  UnsupportedVersion: "STET_PROTO_UNSUPPORTED_VERSION",
  UnexpectedContentType: "STET_PROTO_UNEXPECTED_CONTENT_TYPE",
  InvalidInvocationId: "STET_INVALID_INVOCATION_ID",
  InvalidDeploymentId: "STET_INVALID_DEPLOYMENT_ID",
  InvalidAwakeableId: "STET_INVALID_AWAKEABLE_ID",
  InvalidArgument: "STET_PROTO_INVALID_ARGUMENT",
} as const;

export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

const statusByCode: Readonly<Record<ProtocolErrorCode, number>> = {
  STET_PROTO_FRAME_TOO_LARGE: 502,
  STET_PROTO_TRUNCATED_FRAME: 502,
  STET_PROTO_MALFORMED_FRAME: 502,
  STET_PROTO_UNKNOWN_MESSAGE_TYPE: 502,
  STET_PROTO_MALFORMED_MESSAGE: 502,
  // Raised when registering a deployment whose protocol range does not overlap ours.
  STET_PROTO_UNSUPPORTED_VERSION: 400,
  STET_PROTO_UNEXPECTED_CONTENT_TYPE: 502,
  STET_INVALID_INVOCATION_ID: 400,
  STET_INVALID_DEPLOYMENT_ID: 400,
  STET_INVALID_AWAKEABLE_ID: 400,
  // A caller inside stet passed a bad value: a bug, not a client error.
  STET_PROTO_INVALID_ARGUMENT: 500,
};

export class ProtocolError extends StetError {
  declare readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { status: statusByCode[code], cause: options.cause });
    this.name = "ProtocolError";
  }
}

/** Narrows `value` to a {@link ProtocolError}, optionally with the given code. */
export function isProtocolError(value: unknown, code?: ProtocolErrorCode): value is ProtocolError {
  return value instanceof ProtocolError && (code === undefined || value.code === code);
}
