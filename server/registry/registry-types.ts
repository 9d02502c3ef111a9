import type {
  DeploymentId,
  DiscoveryVersion,
  HandlerManifest,
  HandlerType,
  ProtocolMode,
  ServiceManifest,
  ServiceType,
} from "../../protocol/index.js";

/** Where and how to reach a deployment: everything the invoker needs to open a stream. */
export interface DeploymentTarget {
  readonly id: DeploymentId;
  /** Normalized base URI; invocations go to `{uri}/invoke/{service}/{handler}`. */
  readonly uri: string;
  readonly protocolMode: ProtocolMode;
  readonly httpVersion: 1 | 2;
  readonly minProtocolVersion: number;
  readonly maxProtocolVersion: number;
  /** Sent with every discovery and invocation request to this deployment. */
  readonly additionalHeaders: Readonly<Record<string, string>>;
}

/** One revision of a service, as the deployment that provides it declared it. */
export interface ServiceRevision {
  readonly name: string;
  readonly ty: ServiceType;
  /** 1 for the first deployment providing the service, +1 for each later one. */
  readonly revision: number;
  readonly deploymentId: DeploymentId;
  /** The service as its manifest declared it (handlers, options). */
  readonly definition: ServiceManifest;
}

export interface DeploymentRecord extends DeploymentTarget {
  readonly manifestVersion: DiscoveryVersion;
  /** `x-restate-server` of the discovery answer, e.g. `restate-sdk-typescript/1.17.2`. */
  readonly sdkVersion?: string;
  /** Free-form metadata given at registration. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch; reset when a forced registration overwrites the deployment. */
  readonly createdAt: number;
  /** The services of this deployment, each at the revision it was registered with, in manifest order. */
  readonly services: readonly ServiceRevision[];
}

/** The hot-path answer of `resolveHandler`: built once per registry change, never by SQL per call. */
export interface ResolvedHandler {
  readonly serviceName: string;
  readonly serviceType: ServiceType;
  readonly serviceRevision: number;
  readonly handlerName: string;
  /** Undefined for plain services; EXCLUSIVE/SHARED for objects; WORKFLOW/SHARED for workflows. */
  readonly handlerType: HandlerType | undefined;
  /** False when the service or the handler is ingress-private (callable only from other services). */
  readonly public: boolean;
  /** The declarations, for timeouts, retention, retry policy and input/output rules. */
  readonly service: ServiceManifest;
  readonly handler: HandlerManifest;
  readonly deployment: DeploymentTarget;
}

export interface RegisterOptions {
  /** The URI to record; defaults to the URI that was discovered. Normalized with `new URL().href`. */
  readonly uri?: string;
  /** Overwrite the deployment already registered at this URI (same id, services replaced). Implies `breaking`. */
  readonly force?: boolean;
  /** Allow a service to change its type across revisions. */
  readonly breaking?: boolean;
  /** Compute the outcome, store nothing. */
  readonly dryRun?: boolean;
  readonly additionalHeaders?: Readonly<Record<string, string>>;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** `PATCH /deployments/{id}`: what changes besides the connection details just discovered. */
export interface UpdateDeploymentOptions {
  /** Headers sent to the deployment from now on; undefined keeps the stored ones. */
  readonly additionalHeaders?: Readonly<Record<string, string>>;
  /** Replace the deployment's services with the discovered ones too (Restate's `overwrite`). */
  readonly overwrite?: boolean;
  /** Compute the result, store nothing. */
  readonly dryRun?: boolean;
}

export interface RegisterResult {
  /**
   * `created`: a new deployment (Restate answers 201). `unchanged`: the URI was registered already
   * and `force` was not set, so the stored deployment is returned as is (200). `overwritten`: `force`
   * replaced the deployment at this URI, keeping its id (200).
   */
  readonly outcome: "created" | "unchanged" | "overwritten";
  readonly deployment: DeploymentRecord;
}
