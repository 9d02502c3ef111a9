import { describe, it, expect } from "vitest";
import {
  DISCOVERY_ACCEPT,
  ProtocolError,
  ProtocolErrorCode,
  contentTypeFor,
  discoveryContentTypeFor,
  negotiateVersion,
  parseContentTypeVersion,
  parseDiscoveryContentTypeVersion,
} from "../../../protocol/index.js";
import { expectCode } from "../../helpers/expect-code.js";


describe("service protocol versions", () => {
  it("names the content types", () => {
    expect(contentTypeFor(5)).toBe("application/vnd.restate.invocation.v5");
    expect(contentTypeFor(7)).toBe("application/vnd.restate.invocation.v7");
    expectCode(() => contentTypeFor(4), ProtocolErrorCode.InvalidArgument);
  });

  it("picks the highest common version", () => {
    expect(negotiateVersion(5, 7)).toBe(7);
    expect(negotiateVersion(1, 6)).toBe(6);
    expect(negotiateVersion(5, 99)).toBe(7);
    expect(negotiateVersion(7, 9)).toBe(7);
    expect(negotiateVersion(5, 7, 5, 6)).toBe(6);
  });

  it("names both ranges when there is no common version", () => {
    const error = expectCode(() => negotiateVersion(1, 4), ProtocolErrorCode.UnsupportedVersion);
    expect(error.message).toContain("[1, 4]");
    expect(error.message).toContain("[5, 7]");
    expect(error.status).toBe(400);
    expectCode(() => negotiateVersion(8, 9), ProtocolErrorCode.UnsupportedVersion);
    expectCode(() => negotiateVersion(7, 5), ProtocolErrorCode.UnsupportedVersion);
    expectCode(() => negotiateVersion(5, 7, 5, 8), ProtocolErrorCode.InvalidArgument);
  });

  it("reads the version back from a response content-type", () => {
    expect(parseContentTypeVersion("application/vnd.restate.invocation.v6")).toBe(6);
    expect(parseContentTypeVersion(" Application/VND.restate.invocation.v7 ; charset=binary")).toBe(7);
    expectCode(() => parseContentTypeVersion("application/vnd.restate.invocation.v4"), ProtocolErrorCode.UnsupportedVersion);
    expectCode(() => parseContentTypeVersion("application/vnd.restate.invocation.vx"), ProtocolErrorCode.UnsupportedVersion);
    expectCode(() => parseContentTypeVersion("text/html"), ProtocolErrorCode.UnexpectedContentType);
    expectCode(() => parseContentTypeVersion(undefined), ProtocolErrorCode.UnexpectedContentType);
  });
});

describe("discovery manifest versions", () => {
  it("asks for every supported manifest version, newest first", () => {
    expect(DISCOVERY_ACCEPT).toBe(
      "application/vnd.restate.endpointmanifest.v4+json, " +
        "application/vnd.restate.endpointmanifest.v3+json, " +
        "application/vnd.restate.endpointmanifest.v2+json",
    );
    expect(discoveryContentTypeFor(3)).toBe("application/vnd.restate.endpointmanifest.v3+json");
  });

  it("reads the manifest version from the response", () => {
    expect(parseDiscoveryContentTypeVersion("application/vnd.restate.endpointmanifest.v4+json")).toBe(4);
    expect(parseDiscoveryContentTypeVersion("application/vnd.restate.endpointmanifest.v2+json; charset=utf-8")).toBe(2);
    expectCode(
      () => parseDiscoveryContentTypeVersion("application/vnd.restate.endpointmanifest.v1+json"),
      ProtocolErrorCode.UnsupportedVersion,
    );
    expectCode(() => parseDiscoveryContentTypeVersion("application/json"), ProtocolErrorCode.UnexpectedContentType);
  });
});
