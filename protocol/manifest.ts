import { StetError } from "./errors.js";

/**
 * The endpoint manifest a deployment answers on `GET /discover`, versions v2 to v4
 * (`application/vnd.restate.endpointmanifest.vN+json`). v3 added the per-service and per-handler
 * timeouts, retentions, lazy state and ingress privacy; v4 added the retry policy fields and
 * `lambdaCompression`. Durations are integers of milliseconds. Content types and the accepted
 * versions live in `version.ts` (`DISCOVERY_ACCEPT`).
 */
export type ProtocolMode = "BIDI_STREAM" | "REQUEST_RESPONSE";
export type ServiceType = "SERVICE" | "VIRTUAL_OBJECT" | "WORKFLOW";
export type HandlerType = "EXCLUSIVE" | "SHARED" | "WORKFLOW";
export type RetryPolicyOnMaxAttempts = "PAUSE" | "KILL";

export interface InputPayload {
  /** When true a body with a content type must be sent, even an empty one. */
  readonly required?: boolean;
  /** Accepted content type, wildcards allowed like in `accept`; absent means no body is expected. */
  readonly contentType?: string;
  readonly jsonSchema?: unknown;
}

export interface OutputPayload {
  readonly contentType?: string;
  /** When true the content type is set even on an empty output. */
  readonly setContentTypeIfEmpty?: boolean;
  readonly jsonSchema?: unknown;
}

/** Options that v3+ manifests may set on a service and, overriding it, on a handler. */
export interface InvocationOptions {
  readonly documentation?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly inactivityTimeout?: number;
  readonly abortTimeout?: number;
  readonly journalRetention?: number;
  readonly idempotencyRetention?: number;
  readonly enableLazyState?: boolean;
  readonly ingressPrivate?: boolean;
  readonly retryPolicyInitialInterval?: number;
  readonly retryPolicyMaxInterval?: number;
  readonly retryPolicyMaxAttempts?: number;
  readonly retryPolicyExponentiationFactor?: number;
  readonly retryPolicyOnMaxAttempts?: RetryPolicyOnMaxAttempts;
}

export interface HandlerManifest extends InvocationOptions {
  readonly name: string;
  /** Absent: EXCLUSIVE in a virtual object, SHARED in a workflow (as Restate 1.7 resolves it); none in a service. */
  readonly ty?: HandlerType;
  /** Absent means the default: any content type, body optional. */
  readonly input?: InputPayload;
  /** Absent means the default: `application/json`. */
  readonly output?: OutputPayload;
  /** Only on WORKFLOW handlers. */
  readonly workflowCompletionRetention?: number;
}

export interface ServiceManifest extends InvocationOptions {
  readonly name: string;
  readonly ty: ServiceType;
  readonly handlers: readonly HandlerManifest[];
}

export interface EndpointManifest {
  readonly protocolMode?: ProtocolMode;
  readonly minProtocolVersion: number;
  readonly maxProtocolVersion: number;
  /** Lambda endpoints only. */
  readonly lambdaCompression?: "zstd";
  readonly services: readonly ServiceManifest[];
}

export const ManifestErrorCode = {
  /** The document does not have the manifest's shape (a field missing, mistyped, unknown). */
  Invalid: "STET_MANIFEST_INVALID",
  /** Well formed, but contradicts itself (a handler type its service type does not allow, duplicates). */
  Inconsistent: "STET_MANIFEST_INCONSISTENT",
} as const;
export type ManifestErrorCode = (typeof ManifestErrorCode)[keyof typeof ManifestErrorCode];

export class ManifestError extends StetError {
  /** Where in the document the problem is, e.g. `services[0].handlers[1].name`; empty for the root. */
  readonly path: string;
  constructor(code: ManifestErrorCode, path: string, message: string) {
    super(code, message, { status: 400 });
    this.name = "ManifestError";
    this.path = path;
  }
}

// Name rules of the published manifest schema: services may contain dots and dashes, handlers not.
const SERVICE_NAME = /^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9._-]*$/;
const HANDLER_NAME = /^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9_]*$/;
const MAX_I32 = 2_147_483_647;

type Json = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new ManifestError(ManifestErrorCode.Invalid, path, `${path || "manifest"} ${message}`);
}
function inconsistent(path: string, message: string): never {
  throw new ManifestError(ManifestErrorCode.Inconsistent, path, `${path} ${message}`);
}

const describe = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "string" ? JSON.stringify(v) : typeof v;

function object(v: unknown, path: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, `must be an object, got ${describe(v)}`);
  return v as Json;
}

/** Rejects fields the schema does not know, as Restate does: a typo must not silently drop an option. */
function known(obj: Json, path: string, fields: ReadonlySet<string>): void {
  for (const key of Object.keys(obj)) {
    if (!fields.has(key)) fail(`${path}${path ? "." : ""}${key}`, "is not a field of the endpoint manifest");
  }
}

/** Optional fields: absent and JSON `null` both mean "not set" (Restate's decoder treats them alike). */
const present = (obj: Json, key: string): boolean => obj[key] !== undefined && obj[key] !== null;
const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function string(obj: Json, key: string, path: string): string | undefined {
  if (!present(obj, key)) return undefined;
  const v = obj[key];
  if (typeof v !== "string") fail(at(path, key), `must be a string, got ${describe(v)}`);
  return v as string;
}

function bool(obj: Json, key: string, path: string): boolean | undefined {
  if (!present(obj, key)) return undefined;
  const v = obj[key];
  if (typeof v !== "boolean") fail(at(path, key), `must be a boolean, got ${describe(v)}`);
  return v as boolean;
}

function nonNegativeInt(obj: Json, key: string, path: string, what = "integer"): number | undefined {
  if (!present(obj, key)) return undefined;
  const v = obj[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    fail(at(path, key), `must be a non-negative ${what}, got ${typeof v === "number" ? v : describe(v)}`);
  }
  return v as number;
}

function oneOf<T extends string>(obj: Json, key: string, path: string, values: readonly T[]): T | undefined {
  if (!present(obj, key)) return undefined;
  const v = obj[key];
  if (typeof v !== "string" || !(values as readonly string[]).includes(v)) {
    fail(at(path, key), `must be one of ${values.join(", ")}, got ${describe(v)}`);
  }
  return v as T;
}

function stringMap(obj: Json, key: string, path: string): Record<string, string> | undefined {
  if (!present(obj, key)) return undefined;
  const map = object(obj[key], at(path, key));
  for (const [k, v] of Object.entries(map)) {
    if (typeof v !== "string") fail(`${at(path, key)}.${k}`, `must be a string, got ${describe(v)}`);
  }
  return { ...(map as Record<string, string>) };
}

/** Copies only the keys whose value is set, so the result never carries `undefined` fields. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const OPTION_FIELDS = [
  "documentation",
  "metadata",
  "inactivityTimeout",
  "abortTimeout",
  "journalRetention",
  "idempotencyRetention",
  "enableLazyState",
  "ingressPrivate",
  "retryPolicyInitialInterval",
  "retryPolicyMaxInterval",
  "retryPolicyMaxAttempts",
  "retryPolicyExponentiationFactor",
  "retryPolicyOnMaxAttempts",
] as const;

function options(obj: Json, path: string): InvocationOptions {
  const factor = obj.retryPolicyExponentiationFactor;
  if (present(obj, "retryPolicyExponentiationFactor") && (typeof factor !== "number" || !Number.isFinite(factor) || factor < 0)) {
    fail(at(path, "retryPolicyExponentiationFactor"), `must be a non-negative number, got ${describe(factor)}`);
  }
  return {
    documentation: string(obj, "documentation", path),
    metadata: stringMap(obj, "metadata", path),
    inactivityTimeout: nonNegativeInt(obj, "inactivityTimeout", path, "integer of milliseconds"),
    abortTimeout: nonNegativeInt(obj, "abortTimeout", path, "integer of milliseconds"),
    journalRetention: nonNegativeInt(obj, "journalRetention", path, "integer of milliseconds"),
    idempotencyRetention: nonNegativeInt(obj, "idempotencyRetention", path, "integer of milliseconds"),
    enableLazyState: bool(obj, "enableLazyState", path),
    ingressPrivate: bool(obj, "ingressPrivate", path),
    retryPolicyInitialInterval: nonNegativeInt(obj, "retryPolicyInitialInterval", path, "integer of milliseconds"),
    retryPolicyMaxInterval: nonNegativeInt(obj, "retryPolicyMaxInterval", path, "integer of milliseconds"),
    retryPolicyMaxAttempts: nonNegativeInt(obj, "retryPolicyMaxAttempts", path),
    retryPolicyExponentiationFactor: present(obj, "retryPolicyExponentiationFactor") ? (factor as number) : undefined,
    retryPolicyOnMaxAttempts: oneOf(obj, "retryPolicyOnMaxAttempts", path, ["PAUSE", "KILL"] as const),
  };
}

const INPUT_FIELDS = new Set(["required", "contentType", "jsonSchema"]);
const OUTPUT_FIELDS = new Set(["contentType", "setContentTypeIfEmpty", "jsonSchema"]);

function input(v: unknown, path: string): InputPayload {
  const obj = object(v, path);
  known(obj, path, INPUT_FIELDS);
  return compact({
    required: bool(obj, "required", path),
    contentType: string(obj, "contentType", path),
    jsonSchema: present(obj, "jsonSchema") ? obj.jsonSchema : undefined,
  });
}

function output(v: unknown, path: string): OutputPayload {
  const obj = object(v, path);
  known(obj, path, OUTPUT_FIELDS);
  return compact({
    contentType: string(obj, "contentType", path),
    setContentTypeIfEmpty: bool(obj, "setContentTypeIfEmpty", path),
    jsonSchema: present(obj, "jsonSchema") ? obj.jsonSchema : undefined,
  });
}

const HANDLER_FIELDS = new Set<string>(["name", "ty", "input", "output", "workflowCompletionRetention", ...OPTION_FIELDS]);
const SERVICE_FIELDS = new Set<string>(["name", "ty", "handlers", ...OPTION_FIELDS]);
const ENDPOINT_FIELDS = new Set(["protocolMode", "minProtocolVersion", "maxProtocolVersion", "lambdaCompression", "services"]);

function name(obj: Json, path: string, pattern: RegExp): string {
  const v = obj.name;
  if (typeof v !== "string" || v.length === 0) fail(at(path, "name"), `must be a non-empty string, got ${describe(v)}`);
  if (!pattern.test(v as string)) fail(at(path, "name"), `${JSON.stringify(v)} does not match ${pattern.source}`);
  return v as string;
}

function handler(v: unknown, path: string, service: { name: string; ty: ServiceType }): HandlerManifest {
  const obj = object(v, path);
  known(obj, path, HANDLER_FIELDS);
  const h: HandlerManifest = compact({
    name: name(obj, path, HANDLER_NAME),
    ty: oneOf(obj, "ty", path, ["EXCLUSIVE", "SHARED", "WORKFLOW"] as const),
    input: present(obj, "input") ? input(obj.input, at(path, "input")) : undefined,
    output: present(obj, "output") ? output(obj.output, at(path, "output")) : undefined,
    workflowCompletionRetention: nonNegativeInt(obj, "workflowCompletionRetention", path, "integer of milliseconds"),
    ...options(obj, path),
  });
  checkHandlerType(h, path, service);
  return h;
}

/** The service/handler type combinations Restate 1.7 accepts (it answers others with 400). */
function checkHandlerType(h: HandlerManifest, path: string, service: { name: string; ty: ServiceType }): void {
  const allowed: Record<ServiceType, readonly HandlerType[]> = {
    SERVICE: ["SHARED"],
    VIRTUAL_OBJECT: ["EXCLUSIVE", "SHARED"],
    WORKFLOW: ["WORKFLOW", "SHARED"],
  };
  if (h.ty !== undefined && !allowed[service.ty].includes(h.ty)) {
    inconsistent(at(path, "ty"), `is ${h.ty}, which a ${service.ty} (service ${service.name}) cannot have; allowed: ${allowed[service.ty].join(", ")}`);
  }
  const effective = effectiveHandlerType(service.ty, h.ty);
  if (h.workflowCompletionRetention !== undefined && effective !== "WORKFLOW") {
    inconsistent(at(path, "workflowCompletionRetention"), "is set, but only WORKFLOW handlers may set it");
  }
  if (h.idempotencyRetention !== undefined && effective === "WORKFLOW") {
    inconsistent(at(path, "idempotencyRetention"), "is set, but a WORKFLOW handler may not set it (use workflowCompletionRetention)");
  }
}

/**
 * The handler type a registry records: none for services, EXCLUSIVE by default in virtual objects,
 * SHARED by default in workflows (what Restate 1.7 records for a workflow handler without `ty`).
 */
export function effectiveHandlerType(service: ServiceType, declared: HandlerType | undefined): HandlerType | undefined {
  switch (service) {
    case "SERVICE":
      return undefined;
    case "VIRTUAL_OBJECT":
      return declared ?? "EXCLUSIVE";
    case "WORKFLOW":
      return declared ?? "SHARED";
  }
}

function service(v: unknown, path: string): ServiceManifest {
  const obj = object(v, path);
  known(obj, path, SERVICE_FIELDS);
  const svcName = name(obj, path, SERVICE_NAME);
  if (!present(obj, "ty")) fail(at(path, "ty"), "is required (SERVICE, VIRTUAL_OBJECT or WORKFLOW)");
  const ty = oneOf(obj, "ty", path, ["SERVICE", "VIRTUAL_OBJECT", "WORKFLOW"] as const)!;
  if (!Array.isArray(obj.handlers)) fail(at(path, "handlers"), `must be an array, got ${describe(obj.handlers)}`);
  const handlers = (obj.handlers as unknown[]).map((h, i) => handler(h, `${path}.handlers[${i}]`, { name: svcName, ty }));
  unique(handlers, (i) => `${path}.handlers[${i}].name`, "handler");
  return compact({ name: svcName, ty, handlers, ...options(obj, path) });
}

// Restate keeps the last of two equal names silently; a duplicate is always an SDK or user bug, so we say so.
function unique(items: readonly { name: string }[], pathOf: (i: number) => string, what: string): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.name);
    if (first !== undefined) inconsistent(pathOf(i), `repeats the ${what} name ${JSON.stringify(item.name)} of ${pathOf(first)}`);
    seen.set(item.name, i);
  });
}

function protocolVersion(obj: Json, key: string): number {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > MAX_I32) {
    fail(key, `must be an integer between 1 and ${MAX_I32}, got ${typeof v === "number" ? v : describe(v)}`);
  }
  return v as number;
}

/**
 * Checks that `json` is an endpoint manifest (v2–v4) and returns it with unset optional fields
 * removed. Throws a `ManifestError` naming the first problem and where it is.
 */
export function validateManifest(json: unknown): EndpointManifest {
  const obj = object(json, "");
  known(obj, "", ENDPOINT_FIELDS);
  const minProtocolVersion = protocolVersion(obj, "minProtocolVersion");
  const maxProtocolVersion = protocolVersion(obj, "maxProtocolVersion");
  if (minProtocolVersion > maxProtocolVersion) {
    fail("minProtocolVersion", `(${minProtocolVersion}) must not be greater than maxProtocolVersion (${maxProtocolVersion})`);
  }
  if (!Array.isArray(obj.services)) fail("services", `must be an array, got ${describe(obj.services)}`);
  const services = (obj.services as unknown[]).map((s, i) => service(s, `services[${i}]`));
  unique(services, (i) => `services[${i}].name`, "service");
  return compact({
    protocolMode: oneOf(obj, "protocolMode", "", ["BIDI_STREAM", "REQUEST_RESPONSE"] as const),
    minProtocolVersion,
    maxProtocolVersion,
    lambdaCompression: oneOf(obj, "lambdaCompression", "", ["zstd"] as const),
    services,
  });
}
