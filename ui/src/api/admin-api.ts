import { send, sendForJson } from "./http.js";

/** Typed calls to stet's admin routes (Restate 1.7's shapes), other than `POST /query` (sql.ts). */

export type ServiceType = "Service" | "VirtualObject" | "Workflow";

export interface HandlerInfo {
  readonly name: string;
  readonly ty?: "Exclusive" | "Shared" | "Workflow";
  readonly documentation?: string;
  readonly public?: boolean;
  /** A one-line summary of what the handler accepts and returns (`JSON object`, `application/json`). */
  readonly input_description?: string;
  readonly output_description?: string;
  readonly input_json_schema?: unknown;
  readonly output_json_schema?: unknown;
  /** Overrides of the service's settings, when the handler has its own. */
  readonly idempotency_retention?: string;
  readonly journal_retention?: string;
  readonly inactivity_timeout?: string;
  readonly abort_timeout?: string;
}

/** Restate 1.7's `ServiceMetadata` (durations in its friendly format: `1d`, `1h 30m`). */
export interface ServiceInfo {
  readonly name: string;
  readonly ty: ServiceType;
  readonly revision: number;
  readonly deployment_id: string;
  readonly public: boolean;
  readonly documentation?: string;
  readonly handlers: readonly HandlerInfo[];
  readonly idempotency_retention?: string;
  readonly workflow_completion_retention?: string;
  readonly journal_retention?: string;
  readonly inactivity_timeout?: string;
  readonly abort_timeout?: string;
  readonly retry_policy?: {
    readonly initial_interval?: string;
    readonly exponentiation_factor?: number;
    readonly max_attempts?: number | null;
    readonly max_interval?: string;
    readonly on_max_attempts?: "Pause" | "Kill";
  };
}

/** What `PATCH /services/{s}` changes; absent fields stay as they are. */
export interface ServicePatch {
  public?: boolean;
  idempotency_retention?: string;
  workflow_completion_retention?: string;
  journal_retention?: string;
  inactivity_timeout?: string;
  abort_timeout?: string;
}

export interface DeploymentInfo {
  readonly id: string;
  readonly uri: string;
  readonly protocol_type: "BidiStream" | "RequestResponse";
  readonly http_version: string;
  readonly created_at: string;
  readonly sdk_version?: string;
  readonly services: readonly { readonly name: string; readonly revision: number }[];
}

export interface VersionInfo {
  readonly version: string;
  readonly ingress_endpoint: string | null;
}

export async function listServices(signal?: AbortSignal): Promise<ServiceInfo[]> {
  const body = await sendForJson<{ services: ServiceInfo[] }>("/services", { signal });
  return [...body.services].sort((a, b) => a.name.localeCompare(b.name));
}

export async function listDeployments(signal?: AbortSignal): Promise<DeploymentInfo[]> {
  const body = await sendForJson<{ deployments: DeploymentInfo[] }>("/deployments", { signal });
  return body.deployments;
}

export function getService(name: string, signal?: AbortSignal): Promise<ServiceInfo> {
  return sendForJson<ServiceInfo>(`/services/${encodeURIComponent(name)}`, { signal });
}

/** `PATCH /services/{s}`; answers the service as it is now. */
export function patchService(name: string, patch: ServicePatch): Promise<ServiceInfo> {
  return sendForJson<ServiceInfo>(`/services/${encodeURIComponent(name)}`, { method: "PATCH", body: patch });
}

/** The address of a service's OpenAPI document (its ingress routes, with request and response schemas). */
export function serviceOpenApiPath(name: string): string {
  return `/services/${encodeURIComponent(name)}/openapi`;
}

export interface RegisterDeploymentRequest {
  readonly uri: string;
  /** Talk HTTP/1.1 (request/response) to the endpoint instead of HTTP/2. */
  readonly use_http_11?: boolean;
  /** Replace a deployment already registered at this address, even if its services changed incompatibly. */
  readonly force?: boolean;
}

export interface RegisteredDeployment {
  readonly id: string;
  readonly services: readonly ServiceInfo[];
  /** Whether a new deployment was created (201), or the same one was already registered (200). */
  readonly created: boolean;
}

/** `POST /deployments`: stet asks the endpoint what it serves (discovery) and registers its services. */
export async function registerDeployment(request: RegisterDeploymentRequest): Promise<RegisteredDeployment> {
  const response = await send("/deployments", { method: "POST", body: request, accept: "application/json" });
  const body = (await response.json()) as { id: string; services: ServiceInfo[] };
  return { id: body.id, services: body.services, created: response.status === 201 };
}

/** `DELETE /deployments/{id}?force=true` (Restate 1.7 has no graceful removal; without force it answers 501). */
export async function removeDeployment(id: string): Promise<void> {
  await send(`/deployments/${encodeURIComponent(id)}?force=true`, { method: "DELETE" });
}

export function serverVersion(signal?: AbortSignal): Promise<VersionInfo> {
  return sendForJson<VersionInfo>("/version", { signal });
}

/** What an operator may do to one invocation: `PATCH /invocations/{id}/{action}`. */
export type InvocationAction = "cancel" | "kill" | "pause" | "resume" | "purge";

export async function invocationAction(id: string, action: InvocationAction): Promise<void> {
  await send(`/invocations/${encodeURIComponent(id)}/${action}`, { method: "PATCH" });
}

/**
 * `POST /services/{s}/state`: replaces one key's whole state (keys left out are deleted). stet answers
 * 202 once the change is durable and applies it when the key is free, only if the state's version is
 * still `version` by then (a change made against an older state is dropped).
 */
export async function replaceState(service: string, key: string, entries: ReadonlyArray<readonly [string, Uint8Array]>, version: string): Promise<void> {
  const newState = Object.fromEntries(entries.map(([k, v]) => [k, Array.from(v)]));
  await send(`/services/${encodeURIComponent(service)}/state`, { method: "POST", body: { object_key: key, new_state: newState, version } });
}

/**
 * `PATCH /invocations/{id}/restart-as-new?from=N`: a completed invocation starts again under a new id,
 * its journal copied up to entry N (0: the input alone) and replayed, so the copied steps do not run again.
 */
export async function restartAsNew(id: string, from: number): Promise<string> {
  const body = await sendForJson<{ new_invocation_id: string }>(`/invocations/${encodeURIComponent(id)}/restart-as-new?from=${from}`, { method: "PATCH" });
  return body.new_invocation_id;
}
