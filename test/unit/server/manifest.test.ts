import { describe, expect, it } from "vitest";
import { ManifestError, effectiveHandlerType, validateManifest } from "../../../protocol/manifest.js";

// Shapes as the official TypeScript SDK 1.17 emits them (captured from GET /discover).
const jsonIo = {
  input: { required: false, contentType: "application/json" },
  output: { setContentTypeIfEmpty: false, contentType: "application/json" },
};

const v2 = {
  minProtocolVersion: 5,
  maxProtocolVersion: 5,
  services: [
    { name: "Greeter", ty: "SERVICE", handlers: [{ name: "greet", ...jsonIo }], documentation: "says hi" },
    {
      name: "Counter",
      ty: "VIRTUAL_OBJECT",
      handlers: [
        { name: "add", ty: "EXCLUSIVE", ...jsonIo },
        { name: "get", ty: "SHARED", ...jsonIo },
      ],
    },
  ],
  protocolMode: "BIDI_STREAM",
};

const v3 = {
  minProtocolVersion: 5,
  maxProtocolVersion: 6,
  services: [
    {
      name: "Wf",
      ty: "WORKFLOW",
      handlers: [
        { name: "run", ty: "WORKFLOW", ...jsonIo, workflowCompletionRetention: 86_400_000, metadata: { owner: "team-a" } },
        { name: "signal", ty: "SHARED", ...jsonIo, ingressPrivate: true },
      ],
      journalRetention: 3_600_000,
      inactivityTimeout: 60_000,
      abortTimeout: 600_000,
      idempotencyRetention: 86_400_000,
      enableLazyState: true,
    },
  ],
  protocolMode: "REQUEST_RESPONSE",
};

const v4 = {
  minProtocolVersion: 5,
  maxProtocolVersion: 7,
  lambdaCompression: "zstd",
  services: [
    {
      name: "dev.example.Orders-v2",
      ty: "VIRTUAL_OBJECT",
      handlers: [
        {
          name: "_place",
          input: { required: true, contentType: "application/json", jsonSchema: { type: "object" } },
          output: { contentType: "application/json", jsonSchema: { type: "string" } },
          retryPolicyMaxAttempts: 3,
          retryPolicyOnMaxAttempts: "KILL",
        },
      ],
      retryPolicyInitialInterval: 100,
      retryPolicyMaxInterval: 10_000,
      retryPolicyExponentiationFactor: 1.5,
      retryPolicyOnMaxAttempts: "PAUSE",
      metadata: { a: "b" },
    },
  ],
  protocolMode: "BIDI_STREAM",
};

function errorOf(json: unknown): ManifestError {
  try {
    validateManifest(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestError);
    return error as ManifestError;
  }
  throw new Error("expected validateManifest to throw");
}

const clone = <T>(value: T): T => structuredClone(value);

describe("validateManifest", () => {
  it.each([
    ["v2", v2],
    ["v3", v3],
    ["v4", v4],
  ])("accepts a %s manifest as the SDK emits it and returns it unchanged", (_name, manifest) => {
    expect(validateManifest(clone(manifest))).toEqual(manifest);
  });

  it("treats null optional fields as unset and drops them", () => {
    const m = clone(v2) as Record<string, unknown>;
    (m.services as Record<string, unknown>[])[0]!.documentation = null;
    m.protocolMode = null;
    const out = validateManifest(m);
    expect(out.protocolMode).toBeUndefined();
    expect("documentation" in out.services[0]!).toBe(false);
  });

  it("accepts a manifest without services", () => {
    expect(validateManifest({ minProtocolVersion: 5, maxProtocolVersion: 7, protocolMode: "BIDI_STREAM", services: [] }).services).toEqual([]);
  });

  it.each<[string, (m: any) => unknown, string, string]>([
    ["not an object", () => "hello", "", 'manifest must be an object, got "hello"'],
    ["array root", () => [], "", "manifest must be an object, got an array"],
    ["missing minProtocolVersion", (m) => { delete m.minProtocolVersion; }, "minProtocolVersion", "minProtocolVersion must be an integer between 1 and 2147483647, got undefined"],
    ["fractional max", (m) => { m.maxProtocolVersion = 5.5; }, "maxProtocolVersion", "maxProtocolVersion must be an integer between 1 and 2147483647, got 5.5"],
    ["min above max", (m) => { m.minProtocolVersion = 7; m.maxProtocolVersion = 5; }, "minProtocolVersion", "minProtocolVersion (7) must not be greater than maxProtocolVersion (5)"],
    ["services not an array", (m) => { m.services = {}; }, "services", "services must be an array, got object"],
    ["bad protocolMode", (m) => { m.protocolMode = "STREAM"; }, "protocolMode", 'protocolMode must be one of BIDI_STREAM, REQUEST_RESPONSE, got "STREAM"'],
    ["unknown root field", (m) => { m.extra = 1; }, "extra", "extra is not a field of the endpoint manifest"],
    ["service name missing", (m) => { delete m.services[1].name; }, "services[1].name", "services[1].name must be a non-empty string, got undefined"],
    ["service name pattern", (m) => { m.services[0].name = "1abc"; }, "services[0].name", 'services[0].name "1abc" does not match ^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9._-]*$'],
    ["service type missing", (m) => { delete m.services[0].ty; }, "services[0].ty", "services[0].ty is required (SERVICE, VIRTUAL_OBJECT or WORKFLOW)"],
    ["service type unknown", (m) => { m.services[0].ty = "ACTOR"; }, "services[0].ty", 'services[0].ty must be one of SERVICE, VIRTUAL_OBJECT, WORKFLOW, got "ACTOR"'],
    ["handlers missing", (m) => { delete m.services[0].handlers; }, "services[0].handlers", "services[0].handlers must be an array, got undefined"],
    ["handler name empty", (m) => { m.services[1].handlers[1].name = ""; }, "services[1].handlers[1].name", 'services[1].handlers[1].name must be a non-empty string, got ""'],
    ["handler name with a dash", (m) => { m.services[1].handlers[1].name = "a-b"; }, "services[1].handlers[1].name", 'services[1].handlers[1].name "a-b" does not match ^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9_]*$'],
    ["handler not an object", (m) => { m.services[0].handlers[0] = 3; }, "services[0].handlers[0]", "services[0].handlers[0] must be an object, got number"],
    ["unknown handler field", (m) => { m.services[0].handlers[0].bogus = true; }, "services[0].handlers[0].bogus", "services[0].handlers[0].bogus is not a field of the endpoint manifest"],
    ["input.required not boolean", (m) => { m.services[0].handlers[0].input.required = "yes"; }, "services[0].handlers[0].input.required", 'services[0].handlers[0].input.required must be a boolean, got "yes"'],
    ["unknown input field", (m) => { m.services[0].handlers[0].input.schema = {}; }, "services[0].handlers[0].input.schema", "services[0].handlers[0].input.schema is not a field of the endpoint manifest"],
    ["negative duration", (m) => { m.services[0].journalRetention = -5; }, "services[0].journalRetention", "services[0].journalRetention must be a non-negative integer of milliseconds, got -5"],
    ["metadata value not a string", (m) => { m.services[0].metadata = { a: 1 }; }, "services[0].metadata.a", "services[0].metadata.a must be a string, got number"],
    ["bad onMaxAttempts", (m) => { m.services[0].retryPolicyOnMaxAttempts = "STOP"; }, "services[0].retryPolicyOnMaxAttempts", 'services[0].retryPolicyOnMaxAttempts must be one of PAUSE, KILL, got "STOP"'],
  ])("rejects %s with a message naming the field", (_name, mutate, path, message) => {
    const m = clone(v2);
    const replaced = mutate(m);
    const error = errorOf(replaced === undefined ? m : replaced);
    expect(error.code).toBe("STET_MANIFEST_INVALID");
    expect(error.status).toBe(400);
    expect(error.path).toBe(path);
    expect(error.message).toBe(message);
  });

  it.each<[string, (m: any) => void, string, string]>([
    ["exclusive handler in a service", (m) => { m.services[0].handlers[0].ty = "EXCLUSIVE"; }, "services[0].handlers[0].ty", "services[0].handlers[0].ty is EXCLUSIVE, which a SERVICE (service Greeter) cannot have; allowed: SHARED"],
    ["workflow handler in an object", (m) => { m.services[1].handlers[0].ty = "WORKFLOW"; }, "services[1].handlers[0].ty", "services[1].handlers[0].ty is WORKFLOW, which a VIRTUAL_OBJECT (service Counter) cannot have; allowed: EXCLUSIVE, SHARED"],
    ["duplicate handler", (m) => { m.services[1].handlers[1].name = "add"; }, "services[1].handlers[1].name", 'services[1].handlers[1].name repeats the handler name "add" of services[1].handlers[0].name'],
    ["duplicate service", (m) => { m.services[1].name = "Greeter"; m.services[1].ty = "SERVICE"; m.services[1].handlers = []; }, "services[1].name", 'services[1].name repeats the service name "Greeter" of services[0].name'],
    ["workflowCompletionRetention outside a workflow handler", (m) => { m.services[1].handlers[0].workflowCompletionRetention = 1000; }, "services[1].handlers[0].workflowCompletionRetention", "services[1].handlers[0].workflowCompletionRetention is set, but only WORKFLOW handlers may set it"],
  ])("rejects a contradiction: %s", (_name, mutate, path, message) => {
    const m = clone(v2);
    mutate(m);
    const error = errorOf(m);
    expect(error.code).toBe("STET_MANIFEST_INCONSISTENT");
    expect(error.status).toBe(400);
    expect(error.path).toBe(path);
    expect(error.message).toBe(message);
  });

  it("rejects idempotencyRetention on a workflow handler", () => {
    const m = clone(v3);
    (m.services[0]!.handlers[0] as Record<string, unknown>).idempotencyRetention = 5;
    expect(errorOf(m).path).toBe("services[0].handlers[0].idempotencyRetention");
  });
});

describe("effectiveHandlerType", () => {
  it("resolves defaults the way Restate 1.7 records them", () => {
    expect(effectiveHandlerType("SERVICE", undefined)).toBeUndefined();
    expect(effectiveHandlerType("SERVICE", "SHARED")).toBeUndefined();
    expect(effectiveHandlerType("VIRTUAL_OBJECT", undefined)).toBe("EXCLUSIVE");
    expect(effectiveHandlerType("VIRTUAL_OBJECT", "SHARED")).toBe("SHARED");
    expect(effectiveHandlerType("WORKFLOW", undefined)).toBe("SHARED");
    expect(effectiveHandlerType("WORKFLOW", "WORKFLOW")).toBe("WORKFLOW");
  });
});
