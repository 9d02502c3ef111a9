import {
  effectiveHandlerType,
  type HandlerManifest,
  type HandlerType,
  type InputPayload,
  type OutputPayload,
  type ProtocolMode,
  type RetryPolicyOnMaxAttempts,
  type ServiceType,
} from "../../protocol/index.js";
import { effectiveServiceOptions, type ServiceDefaults, type ServiceRevision } from "../registry/index.js";
import { friendlyDuration } from "./friendly-duration.js";

/**
 * Restate 1.7's `ServiceMetadata` and `HandlerMetadata` (admin OpenAPI), field for field and in the
 * order Restate prints them. Values the manifest leaves unset are omitted on handlers (they are
 * overrides) and filled with the defaults on services, as Restate reports them.
 */
export interface HandlerMetadataJson {
  name: string;
  ty?: "Exclusive" | "Shared" | "Workflow";
  documentation?: string;
  metadata?: Record<string, string>;
  idempotency_retention?: string;
  journal_retention?: string;
  inactivity_timeout?: string;
  abort_timeout?: string;
  enable_lazy_state?: boolean;
  public: boolean;
  input_description: string;
  output_description: string;
  input_json_schema?: unknown;
  output_json_schema?: unknown;
  retry_policy: {
    initial_interval?: string;
    exponentiation_factor?: number;
    max_attempts: number | null;
    max_interval?: string;
    on_max_attempts?: "Pause" | "Kill";
  };
  info?: { code: string | null; message: string }[];
}

export interface ServiceMetadataJson {
  name: string;
  ty: "Service" | "VirtualObject" | "Workflow";
  handlers: HandlerMetadataJson[];
  documentation?: string;
  metadata?: Record<string, string>;
  deployment_id: string;
  revision: number;
  public: boolean;
  idempotency_retention: string;
  workflow_completion_retention?: string;
  journal_retention: string;
  inactivity_timeout: string;
  abort_timeout: string;
  enable_lazy_state: boolean;
  retry_policy: {
    initial_interval: string;
    exponentiation_factor: number;
    max_attempts: number | null;
    max_interval: string;
    on_max_attempts: "Pause" | "Kill";
  };
}

const SERVICE_TYPE: Record<ServiceType, ServiceMetadataJson["ty"]> = {
  SERVICE: "Service",
  VIRTUAL_OBJECT: "VirtualObject",
  WORKFLOW: "Workflow",
};
const HANDLER_TYPE: Record<HandlerType, NonNullable<HandlerMetadataJson["ty"]>> = {
  EXCLUSIVE: "Exclusive",
  SHARED: "Shared",
  WORKFLOW: "Workflow",
};
const ON_MAX_ATTEMPTS: Record<RetryPolicyOnMaxAttempts, "Pause" | "Kill"> = { PAUSE: "Pause", KILL: "Kill" };

const ms = (value: number | undefined): string | undefined => (value === undefined ? undefined : friendlyDuration(value));

/** Drops undefined fields so the JSON carries only what is set, in insertion order. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Restate's one-line summary of a JSON schema: its title, else its single `type`; undefined when
 * neither says anything (the content type is shown instead).
 */
function schemaDescription(schema: unknown): string | undefined {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return undefined;
  const { title, type } = schema as { title?: unknown; type?: unknown };
  if (typeof title === "string") return `JSON '${title}'`;
  if (typeof type === "string") return `JSON ${type}`;
  return undefined;
}

/** What a handler accepts. No `input` at all means the schema default: any content type. */
export function inputDescription(input: InputPayload | undefined): string {
  if (input === undefined) return "*/*";
  const fromSchema = input.jsonSchema === undefined ? undefined : schemaDescription(input.jsonSchema);
  if (fromSchema !== undefined) return fromSchema;
  if (input.contentType !== undefined) return input.contentType;
  // A body required without a content type to send it with cannot be satisfied.
  return input.required === true ? "<invalid rules>" : "none";
}

/** What a handler returns. No `output` at all means the schema default: JSON. */
export function outputDescription(output: OutputPayload | undefined): string {
  if (output === undefined) return "application/json";
  if (output.contentType === undefined) return "none";
  const fromSchema = output.jsonSchema === undefined ? undefined : schemaDescription(output.jsonSchema);
  if (fromSchema !== undefined) return fromSchema;
  return output.setContentTypeIfEmpty === true ? `optional ${output.contentType}` : output.contentType;
}

export function handlerMetadata(
  handler: HandlerManifest,
  service: { ty: ServiceType; ingressPrivate?: boolean },
  protocolMode: ProtocolMode,
): HandlerMetadataJson {
  const ty = effectiveHandlerType(service.ty, handler.ty);
  const requestResponse = protocolMode === "REQUEST_RESPONSE";
  const info =
    requestResponse && handler.inactivityTimeout !== undefined
      ? [
          {
            code: "RT0021",
            message: `inactivity_timeout ${friendlyDuration(handler.inactivityTimeout)} is ignored: the deployment runs in request/response mode, where an invocation cannot be asked to suspend`,
          },
        ]
      : undefined;
  return defined<HandlerMetadataJson>({
    name: handler.name,
    ty: ty === undefined ? undefined : HANDLER_TYPE[ty],
    documentation: handler.documentation,
    metadata: handler.metadata === undefined ? undefined : { ...handler.metadata },
    idempotency_retention: ms(handler.idempotencyRetention),
    journal_retention: ms(handler.journalRetention),
    inactivity_timeout: requestResponse ? undefined : ms(handler.inactivityTimeout),
    abort_timeout: ms(handler.abortTimeout),
    enable_lazy_state: handler.enableLazyState,
    public: service.ingressPrivate !== true && handler.ingressPrivate !== true,
    input_description: inputDescription(handler.input),
    output_description: outputDescription(handler.output),
    input_json_schema: handler.input?.jsonSchema,
    output_json_schema: handler.output?.jsonSchema,
    retry_policy: defined({
      initial_interval: ms(handler.retryPolicyInitialInterval),
      exponentiation_factor: handler.retryPolicyExponentiationFactor,
      // Restate always prints max_attempts, null when unset.
      max_attempts: handler.retryPolicyMaxAttempts ?? null,
      max_interval: ms(handler.retryPolicyMaxInterval),
      on_max_attempts: handler.retryPolicyOnMaxAttempts === undefined ? undefined : ON_MAX_ATTEMPTS[handler.retryPolicyOnMaxAttempts],
    }),
    info,
  });
}

export function serviceMetadata(service: ServiceRevision, protocolMode: ProtocolMode, defaults?: ServiceDefaults): ServiceMetadataJson {
  const def = service.definition;
  const options = effectiveServiceOptions(def, protocolMode, defaults);
  return defined<ServiceMetadataJson>({
    name: service.name,
    ty: SERVICE_TYPE[service.ty],
    handlers: def.handlers.map((h) => handlerMetadata(h, def, protocolMode)),
    documentation: def.documentation,
    metadata: def.metadata === undefined ? undefined : { ...def.metadata },
    deployment_id: service.deploymentId,
    revision: service.revision,
    public: def.ingressPrivate !== true,
    idempotency_retention: friendlyDuration(options.idempotencyRetentionMs),
    workflow_completion_retention: ms(options.workflowCompletionRetentionMs),
    journal_retention: friendlyDuration(options.journalRetentionMs),
    inactivity_timeout: friendlyDuration(options.inactivityTimeoutMs),
    abort_timeout: friendlyDuration(options.abortTimeoutMs),
    enable_lazy_state: options.enableLazyState,
    retry_policy: {
      initial_interval: friendlyDuration(options.retryPolicy.initialIntervalMs),
      exponentiation_factor: options.retryPolicy.exponentiationFactor,
      max_attempts: options.retryPolicy.maxAttempts,
      max_interval: friendlyDuration(options.retryPolicy.maxIntervalMs),
      on_max_attempts: ON_MAX_ATTEMPTS[options.retryPolicy.onMaxAttempts],
    },
  });
}
