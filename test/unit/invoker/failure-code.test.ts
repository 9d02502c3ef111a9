import { describe, expect, it } from "vitest";
import { failureCode } from "../../../invoker/failure-code.js";

describe("failureCode", () => {
  it.each([
    // The texts attempt-runner.ts and the transports write, with the code each must map to.
    ["[500] flaky step failed", "500"],
    ["[570] journal mismatch: expected Run, got Call", "570"],
    ["attempt aborted", "aborted"],
    ["no deployment serves Greeter/greet", "no_deployment"],
    ["the deployment dp_1abc this invocation is pinned to is not registered any more (removed with force …); pause …", "deployment_gone"],
    ["the invocation is pinned to service protocol version 7, which this stet does not speak (up to 6)", "protocol_version"],
    ["deployment answered HTTP 503 to the invocation request", "http_503"],
    ["deployment answered content-type 'text/html', expected 'application/vnd.restate.invocation.v5'", "content_type"],
    ["protocol violation: service sent StartMessage (0x0)", "protocol_violation"],
    ["service sent End without an OutputCommand", "protocol_violation"],
    ["stream closed without End, Suspension or Error", "stream_closed"],
    ["stream closed before response headers (code 2)", "stream_reset"],
    ["could not store the service's effects: storage commit failed: disk I/O error", "storage"],
    ["the service did not end the attempt within the abort timeout (60000 ms)", "abort_timeout"],
    ["deployment supports service protocol versions [1, 2] but stet supports [5, 6]: no common version", "protocol_version"],
    ["connect ECONNREFUSED 127.0.0.1:9080", "ECONNREFUSED"],
    ["read ECONNRESET", "ECONNRESET"],
    ["something nobody expected", "other"],
    ["", "other"],
  ])("%j → %s", (failure, code) => {
    expect(failureCode(failure)).toBe(code);
  });

  it("does not take a bracketed number inside a message for a service's code", () => {
    expect(failureCode("boom [500] later")).toBe("other");
  });
});
