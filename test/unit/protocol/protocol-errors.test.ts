import { describe, it, expect } from "vitest";
import { StetError } from "../../../protocol/errors.js";
import { ProtocolError, ProtocolErrorCode, isProtocolError } from "../../../protocol/index.js";

describe("protocol errors", () => {
  it("pins codes and HTTP statuses", () => {
    const statuses = Object.fromEntries(
      Object.values(ProtocolErrorCode).map((code) => [code, new ProtocolError(code, "x").status]),
    );
    expect(statuses).toEqual({
      STET_PROTO_FRAME_TOO_LARGE: 502,
      STET_PROTO_TRUNCATED_FRAME: 502,
      STET_PROTO_MALFORMED_FRAME: 502,
      STET_PROTO_UNKNOWN_MESSAGE_TYPE: 502,
      STET_PROTO_MALFORMED_MESSAGE: 502,
      STET_PROTO_UNSUPPORTED_VERSION: 400,
      STET_PROTO_UNEXPECTED_CONTENT_TYPE: 502,
      STET_INVALID_INVOCATION_ID: 400,
      STET_INVALID_DEPLOYMENT_ID: 400,
      STET_INVALID_AWAKEABLE_ID: 400,
      STET_PROTO_INVALID_ARGUMENT: 500,
    });
  });

  it("is a StetError that keeps its cause", () => {
    const cause = new Error("inner");
    const error = new ProtocolError(ProtocolErrorCode.MalformedMessage, "outer", { cause });
    expect(error).toBeInstanceOf(StetError);
    expect(error.name).toBe("ProtocolError");
    expect(error.cause).toBe(cause);
    expect(isProtocolError(error)).toBe(true);
    expect(isProtocolError(error, ProtocolErrorCode.MalformedMessage)).toBe(true);
    expect(isProtocolError(error, ProtocolErrorCode.FrameTooLarge)).toBe(false);
    expect(isProtocolError(new Error("x"))).toBe(false);
  });
});
