import { send, sendForJson } from "./http.js";

/** Typed calls to stet's admin routes (Restate 1.7's shapes), other than `POST /query` (sql.ts). */

export type ServiceType = "Service" | "VirtualObject" | "Workflow";

export interface HandlerInfo {
  readonly name: string;
  readonly ty?: "Exclusive" | "Shared" | "Workflow";
}

export interface ServiceInfo {
  readonly name: string;
  readonly ty: ServiceType;
  readonly revision: number;
  readonly deployment_id: string;
  readonly public: boolean;
  readonly handlers: readonly HandlerInfo[];
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
