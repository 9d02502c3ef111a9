import { describe, expect, it } from "vitest";
import type { DeploymentId } from "../../../../protocol/ids.js";
import { friendlyDuration, handlerMetadata, inputDescription, outputDescription, serviceMetadata } from "../../../../server/admin/index.js";

// Expected values are what Restate 1.7.12 prints for the same manifest fields (read from its admin API).
describe("friendlyDuration", () => {
  it.each([
    [0, "0s"],
    [1, "1ms"],
    [999, "999ms"],
    [1_500, "1s 500ms"],
    [90_000, "1m 30s"],
    [5_400_500, "1h 30m 500ms"],
    [86_400_000, "1d"],
    [31_536_000_000, "365d"],
    [123_456_789, "1d 10h 17m 36s 789ms"],
  ])("%d ms is %s", (ms, text) => {
    expect(friendlyDuration(ms)).toBe(text);
  });
});

describe("input and output descriptions", () => {
  it.each<[unknown, string]>([
    [undefined, "*/*"],
    [{}, "none"],
    [{ required: false }, "none"],
    [{ required: true }, "<invalid rules>"],
    [{ contentType: "application/json", required: true }, "application/json"],
    [{ contentType: "text/*" }, "text/*"],
    [{ contentType: "application/json", jsonSchema: { type: "object", properties: {} } }, "JSON object"],
    [{ contentType: "application/json", jsonSchema: { title: "Foo", type: "object" } }, "JSON 'Foo'"],
    [{ contentType: "application/json", jsonSchema: true }, "application/json"],
    [{ contentType: "application/json", jsonSchema: { type: ["string", "null"] } }, "application/json"],
  ])("input %j is described as %s", (input, text) => {
    expect(inputDescription(input as never)).toBe(text);
  });

  it.each<[unknown, string]>([
    [undefined, "application/json"],
    [{}, "none"],
    [{ setContentTypeIfEmpty: true }, "none"],
    [{ contentType: "application/json" }, "application/json"],
    [{ contentType: "application/json", setContentTypeIfEmpty: true }, "optional application/json"],
    [{ contentType: "application/json", setContentTypeIfEmpty: true, jsonSchema: { type: "string" } }, "JSON string"],
    [{ contentType: "text/plain", jsonSchema: { title: "Bar" } }, "JSON 'Bar'"],
  ])("output %j is described as %s", (output, text) => {
    expect(outputDescription(output as never)).toBe(text);
  });
});

describe("service and handler metadata", () => {
  const revision = {
    name: "Wf",
    ty: "WORKFLOW" as const,
    revision: 3,
    deploymentId: "dp_1000000000000000000000" as DeploymentId,
    definition: {
      name: "Wf",
      ty: "WORKFLOW" as const,
      handlers: [
        { name: "run", ty: "WORKFLOW" as const, workflowCompletionRetention: 7_200_000, inactivityTimeout: 5_000 },
        { name: "peek", retryPolicyMaxAttempts: 1, ingressPrivate: true },
      ],
      idempotencyRetention: 60_000,
      inactivityTimeout: 120_000,
      abortTimeout: 1_000,
      enableLazyState: true,
      retryPolicyOnMaxAttempts: "KILL" as const,
      retryPolicyMaxAttempts: 4,
      retryPolicyInitialInterval: 10,
      retryPolicyMaxInterval: 20,
      retryPolicyExponentiationFactor: 3,
    },
  };

  it("fills service defaults, moves the workflow retention up, and keeps handler overrides only", () => {
    expect(serviceMetadata(revision, "BIDI_STREAM")).toEqual({
      name: "Wf",
      ty: "Workflow",
      handlers: [
        {
          name: "run",
          ty: "Workflow",
          inactivity_timeout: "5s",
          public: true,
          input_description: "*/*",
          output_description: "application/json",
          retry_policy: { max_attempts: null },
        },
        {
          name: "peek",
          ty: "Shared",
          public: false,
          input_description: "*/*",
          output_description: "application/json",
          retry_policy: { max_attempts: 1 },
        },
      ],
      deployment_id: "dp_1000000000000000000000",
      revision: 3,
      public: true,
      idempotency_retention: "1m",
      workflow_completion_retention: "2h",
      journal_retention: "1d",
      inactivity_timeout: "2m",
      abort_timeout: "1s",
      enable_lazy_state: true,
      retry_policy: { initial_interval: "10ms", exponentiation_factor: 3, max_attempts: 4, max_interval: "20ms", on_max_attempts: "Kill" },
    });
  });

  it("reports no inactivity timeout in request/response mode, with an info note on the handler", () => {
    const json = serviceMetadata(revision, "REQUEST_RESPONSE");
    expect(json.inactivity_timeout).toBe("0s");
    expect(json.handlers[0]!.inactivity_timeout).toBeUndefined();
    expect(json.handlers[0]!.info).toEqual([{ code: "RT0021", message: expect.stringContaining("inactivity_timeout 5s") }]);
  });

  it("omits the handler type of plain services", () => {
    expect(handlerMetadata({ name: "h", ty: "SHARED" }, { ty: "SERVICE" }, "BIDI_STREAM").ty).toBeUndefined();
  });
});
