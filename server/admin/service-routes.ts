import type { FastifyInstance } from "fastify";
import {
  RegistryError,
  RegistryErrorCode,
  type DeploymentRegistry,
  type ServiceDefaults,
  type ServiceOverrides,
} from "../registry/index.js";
import { AdminError, AdminErrorCode, invalidField } from "./admin-errors.js";
import { serviceMetadata } from "./service-view.js";

// Units of jiff's "friendly" format that Restate accepts for these settings (days are 24 hours, weeks 7
// days); calendar units (months, years) have no fixed length and are refused.
const FRIENDLY_UNITS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(?:w|wk|wks|week|weeks)$/, 7 * 86_400_000],
  [/^(?:d|day|days)$/, 86_400_000],
  [/^(?:h|hr|hrs|hour|hours)$/, 3_600_000],
  [/^(?:m|min|mins|minute|minutes)$/, 60_000],
  [/^(?:s|sec|secs|second|seconds)$/, 1_000],
  [/^(?:ms|msec|msecs|millis|millisecond|milliseconds)$/, 1],
  [/^(?:\u00b5s|us|usec|usecs|micros|microsecond|microseconds)$/, 0.001],
  [/^(?:ns|nsec|nsecs|nanos|nanosecond|nanoseconds)$/, 0.000_001],
];
const FRIENDLY_PART = /(\d+(?:\.\d+)?)\s*([a-z\u00b5]+)\s*,?\s*/giy;
const ISO_DURATION = /^P(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/i;
const ISO_UNITS_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000];

/**
 * A duration as Restate's admin API accepts it: jiff's friendly format (`5 hours`, `1h 30m`, `2d,
 * 3h`, `500ms`) or ISO 8601 (`PT1H30M`, `P1D`). Whole milliseconds; undefined when neither format matches.
 */
export function parseAdminDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const iso = ISO_DURATION.exec(trimmed);
  if (iso !== null) {
    // `P` alone or a dangling `T` names no unit.
    if (trimmed.length === 1 || /T$/i.test(trimmed)) return undefined;
    let ms = 0;
    iso.slice(1).forEach((part, i) => {
      if (part !== undefined) ms += Number(part.replace(",", ".")) * ISO_UNITS_MS[i]!;
    });
    return Math.round(ms);
  }
  FRIENDLY_PART.lastIndex = 0;
  let ms = 0;
  let end = 0;
  for (let match = FRIENDLY_PART.exec(trimmed); match !== null; match = FRIENDLY_PART.exec(trimmed)) {
    const unit = FRIENDLY_UNITS.find(([pattern]) => pattern.test(match[2]!.toLowerCase()));
    if (unit === undefined) return undefined;
    ms += Number(match[1]) * unit[1];
    end = FRIENDLY_PART.lastIndex;
  }
  if (end !== trimmed.length || !Number.isFinite(ms)) return undefined;
  return Math.round(ms);
}

const DURATION_FIELDS = [
  ["idempotency_retention", "idempotencyRetentionMs"],
  ["workflow_completion_retention", "workflowCompletionRetentionMs"],
  ["journal_retention", "journalRetentionMs"],
  ["inactivity_timeout", "inactivityTimeoutMs"],
  ["abort_timeout", "abortTimeoutMs"],
] as const;

/**
 * Restate's `ModifyServiceRequest` read into overrides. Null or absent fields leave the setting as it
 * is. Checked here rather than by the fastify schema: its type coercion would turn `"false"` into false.
 */
export function parseModifyServiceBody(body: unknown): ServiceOverrides {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidField("body", "expected a JSON object (ModifyServiceRequest)");
  }
  const raw = body as Record<string, unknown>;
  const out: { -readonly [K in keyof ServiceOverrides]: ServiceOverrides[K] } = {};
  if (raw["public"] !== undefined && raw["public"] !== null) {
    if (typeof raw["public"] !== "boolean") throw invalidField("public", "expected a boolean");
    out.public = raw["public"];
  }
  for (const [field, key] of DURATION_FIELDS) {
    const value = raw[field];
    if (value === undefined || value === null) continue;
    const ms = typeof value === "string" ? parseAdminDuration(value) : undefined;
    if (ms === undefined) {
      throw invalidField(field, `${JSON.stringify(value)} is not a duration; use the friendly format (e.g. '5 hours', '1h 30m') or ISO 8601 (e.g. 'PT5H')`);
    }
    out[key] = ms;
  }
  return out;
}

const SERVICE_TYPE_NAME = { SERVICE: "Service", VIRTUAL_OBJECT: "VirtualObject", WORKFLOW: "Workflow" } as const;

const serviceParams = { type: "object", required: ["service"], properties: { service: { type: "string" } } } as const;

/** `PATCH /services/{service}`: changes settings of a service; answers the service as `GET` shows it. */
export function registerServiceRoutes(app: FastifyInstance, registry: DeploymentRegistry, defaults: ServiceDefaults | undefined): void {
  app.patch<{ Params: { service: string }; Body: unknown }>(
    "/services/:service",
    { schema: { params: serviceParams, body: { type: "object" } } },
    async (request) => {
      const name = request.params.service;
      const service = registry.getService(name);
      // Restate words this 404 differently from the one of GET (checked against restate-server 1.7.12).
      if (service === undefined) throw new RegistryError(RegistryErrorCode.ServiceNotFound, `not found in the schema registry: service with name '${name}'`);
      const patch = parseModifyServiceBody(request.body);
      if (patch.workflowCompletionRetentionMs !== undefined && service.ty !== "WORKFLOW") {
        throw new AdminError(AdminErrorCode.InvalidRequest, `modifying retention time for service type ${SERVICE_TYPE_NAME[service.ty]} is unsupported`);
      }
      const updated = await registry.modifyService(name, patch);
      return serviceMetadata(updated, registry.getDeployment(updated.deploymentId)!.protocolMode, defaults);
    },
  );
}
