import { describe, expect, it } from "vitest";
import { parseLookupTarget } from "../../../../server/ingress/lookup-target.js";

const body = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value));

describe("parseLookupTarget", () => {
  it("reads the three targets", () => {
    expect(parseLookupTarget(body({ target: "invocation", invocationId: "inv_1x" }))).toEqual({ target: { kind: "invocation", invocationId: "inv_1x" } });
    expect(parseLookupTarget(body({ target: "workflow", workflowName: "Wf", workflowKey: "k" }))).toEqual({ target: { kind: "workflow", service: "Wf", key: "k" } });
    expect(parseLookupTarget(body({ target: "idempotentInvocation", service: "Svc", handler: "h", idempotencyKey: "i" }))).toEqual({
      target: { kind: "idempotent", service: "Svc", key: "", handler: "h", idempotencyKey: "i" },
    });
    expect(parseLookupTarget(body({ target: "idempotentInvocation", service: "Obj", key: "o", handler: "h", idempotencyKey: "" }))).toEqual({
      target: { kind: "idempotent", service: "Obj", key: "o", handler: "h", idempotencyKey: "" },
    });
  });

  it("names what is missing or wrong, as Restate's reasons do", () => {
    expect(parseLookupTarget(body(""))).toEqual({ problem: "EOF while parsing a value" });
    expect(parseLookupTarget(body({}))).toEqual({ problem: "missing field `target`" });
    expect(parseLookupTarget(body({ target: "workflow", workflowName: "Wf" }))).toEqual({ problem: "missing field `workflowKey`" });
    expect(parseLookupTarget(body({ target: "idempotentInvocation", service: "S" }))).toEqual({ problem: "missing field `handler`" });
    expect(parseLookupTarget(body({ target: "invocation" }))).toEqual({ problem: "missing field `invocationId`" });
    expect(parseLookupTarget(body({ target: "Svc/h" }))).toEqual({
      problem: "unknown variant `Svc/h`, expected one of `workflow`, `idempotentInvocation`, `invocation`",
    });
    expect(parseLookupTarget(body({ target: "invocation", invocationId: 7 }))).toMatchObject({ problem: expect.stringContaining("invocationId") });
    expect(parseLookupTarget(body("[1]"))).toMatchObject({ problem: expect.any(String) });
  });
});
