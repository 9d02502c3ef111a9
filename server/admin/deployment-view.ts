import type { DeploymentRecord, ServiceDefaults } from "../registry/index.js";
import { serviceMetadata, type ServiceMetadataJson } from "./service-view.js";

/**
 * Restate 1.7's deployment shapes (admin OpenAPI): `HttpDeploymentResponse` in lists,
 * `HttpDetailedDeploymentResponse` for one deployment, `RegisterDeploymentResponse` after
 * registration. Empty header and metadata maps and a missing SDK version are left out, as Restate does.
 */
interface DeploymentCommonJson {
  id: string;
  uri: string;
  protocol_type: "BidiStream" | "RequestResponse";
  http_version: "HTTP/2.0" | "HTTP/1.1";
  additional_headers?: Record<string, string>;
  metadata?: Record<string, string>;
  created_at: string;
  min_protocol_version: number;
  max_protocol_version: number;
  sdk_version?: string;
}

export interface DeploymentJson extends DeploymentCommonJson {
  services: { name: string; revision: number }[];
}

export interface DetailedDeploymentJson extends DeploymentCommonJson {
  services: ServiceMetadataJson[];
}

export interface RegisterDeploymentJson {
  id: string;
  services: ServiceMetadataJson[];
  min_protocol_version: number;
  max_protocol_version: number;
  sdk_version?: string;
}

/** Restate prints timestamps with nanosecond digits: `2026-11-21T09:07:19.934000000Z`. */
export function restateTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
}

const nonEmpty = (map: Readonly<Record<string, string>>): Record<string, string> | undefined =>
  Object.keys(map).length === 0 ? undefined : { ...map };

function common(d: DeploymentRecord): DeploymentCommonJson {
  const json: DeploymentCommonJson = {
    id: d.id,
    uri: d.uri,
    protocol_type: d.protocolMode === "BIDI_STREAM" ? "BidiStream" : "RequestResponse",
    http_version: d.httpVersion === 2 ? "HTTP/2.0" : "HTTP/1.1",
    additional_headers: nonEmpty(d.additionalHeaders),
    metadata: nonEmpty(d.metadata),
    created_at: restateTimestamp(d.createdAt),
    min_protocol_version: d.minProtocolVersion,
    max_protocol_version: d.maxProtocolVersion,
    sdk_version: d.sdkVersion,
  };
  for (const key of Object.keys(json) as (keyof DeploymentCommonJson)[]) if (json[key] === undefined) delete json[key];
  return json;
}

export function deploymentJson(d: DeploymentRecord): DeploymentJson {
  return { ...common(d), services: d.services.map((s) => ({ name: s.name, revision: s.revision })) };
}

export function detailedDeploymentJson(d: DeploymentRecord, defaults?: ServiceDefaults): DetailedDeploymentJson {
  return { ...common(d), services: d.services.map((s) => serviceMetadata(s, d.protocolMode, defaults)) };
}

export function registerDeploymentJson(d: DeploymentRecord, defaults?: ServiceDefaults): RegisterDeploymentJson {
  const json: RegisterDeploymentJson = {
    id: d.id,
    services: d.services.map((s) => serviceMetadata(s, d.protocolMode, defaults)),
    min_protocol_version: d.minProtocolVersion,
    max_protocol_version: d.maxProtocolVersion,
  };
  if (d.sdkVersion !== undefined) json.sdk_version = d.sdkVersion;
  return json;
}
