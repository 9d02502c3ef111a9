import { ProtocolError, ProtocolErrorCode } from "./protocol-errors.js";

/**
 * Versions of the two protocols stet speaks with deployments: the service invocation protocol
 * (negotiated per deployment, sent as the request content-type of every invocation) and the
 * discovery manifest (negotiated through Accept on `GET /discover`).
 */

export const SUPPORTED_PROTOCOL_VERSIONS = [5, 6, 7] as const;
/** A service protocol version stet implements. */
export type ProtocolVersion = (typeof SUPPORTED_PROTOCOL_VERSIONS)[number];
export const MIN_PROTOCOL_VERSION: ProtocolVersion = 5;
export const MAX_PROTOCOL_VERSION: ProtocolVersion = 7;

const INVOCATION_CONTENT_TYPE_PREFIX = "application/vnd.restate.invocation.v";

export function isSupportedProtocolVersion(value: number): value is ProtocolVersion {
  return (SUPPORTED_PROTOCOL_VERSIONS as readonly number[]).includes(value);
}

/** `application/vnd.restate.invocation.vN`: the request content-type that selects version N. */
export function contentTypeFor(version: number): string {
  if (!isSupportedProtocolVersion(version)) {
    throw new ProtocolError(ProtocolErrorCode.InvalidArgument, `service protocol version ${version} is not supported`);
  }
  return `${INVOCATION_CONTENT_TYPE_PREFIX}${version}`;
}

/**
 * Picks the highest version both sides support. `deploymentMin`/`deploymentMax` come from the
 * manifest (minProtocolVersion/maxProtocolVersion); `ourMax` lets configuration cap what stet
 * offers (e.g. to test against an older protocol).
 */
export function negotiateVersion(
  deploymentMin: number,
  deploymentMax: number,
  ourMin: number = MIN_PROTOCOL_VERSION,
  ourMax: number = MAX_PROTOCOL_VERSION,
): ProtocolVersion {
  if (!Number.isInteger(deploymentMin) || !Number.isInteger(deploymentMax) || deploymentMin > deploymentMax) {
    throw new ProtocolError(
      ProtocolErrorCode.UnsupportedVersion,
      `deployment declares an invalid service protocol range [${deploymentMin}, ${deploymentMax}]`,
    );
  }
  if (!isSupportedProtocolVersion(ourMin) || !isSupportedProtocolVersion(ourMax) || ourMin > ourMax) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidArgument,
      `stet's protocol range [${ourMin}, ${ourMax}] must lie within [${MIN_PROTOCOL_VERSION}, ${MAX_PROTOCOL_VERSION}]`,
    );
  }
  const chosen = Math.min(deploymentMax, ourMax);
  if (chosen < Math.max(deploymentMin, ourMin) || !isSupportedProtocolVersion(chosen)) {
    throw new ProtocolError(
      ProtocolErrorCode.UnsupportedVersion,
      `deployment supports service protocol versions [${deploymentMin}, ${deploymentMax}] ` +
        `but stet supports [${ourMin}, ${ourMax}]: no common version`,
    );
  }
  return chosen;
}

/** Strips parameters and whitespace and lowercases, so `A/B ; x=y` compares as `a/b`. */
function mediaType(contentType: string): string {
  const semicolon = contentType.indexOf(";");
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * Reads the protocol version from a deployment's response content-type. The SDK must echo the
 * content-type it was sent; anything else is either an unsupported version or not an SDK at all
 * (typically a proxy or a plain web server at the deployment URL).
 */
export function parseContentTypeVersion(contentType: string | undefined): ProtocolVersion {
  const type = mediaType(contentType ?? "");
  if (!type.startsWith(INVOCATION_CONTENT_TYPE_PREFIX)) {
    throw new ProtocolError(
      ProtocolErrorCode.UnexpectedContentType,
      `deployment answered with content-type '${contentType ?? ""}', not a Restate service protocol type`,
    );
  }
  const digits = type.slice(INVOCATION_CONTENT_TYPE_PREFIX.length);
  const version = /^[0-9]{1,3}$/.test(digits) ? Number(digits) : NaN;
  if (!isSupportedProtocolVersion(version)) {
    throw new ProtocolError(
      ProtocolErrorCode.UnsupportedVersion,
      `deployment answered with service protocol '${contentType ?? ""}'; stet supports versions ` +
        `${MIN_PROTOCOL_VERSION} to ${MAX_PROTOCOL_VERSION}`,
    );
  }
  return version;
}

// ----- Discovery manifest -----

export const SUPPORTED_DISCOVERY_VERSIONS = [2, 3, 4] as const;
export type DiscoveryVersion = (typeof SUPPORTED_DISCOVERY_VERSIONS)[number];

const DISCOVERY_CONTENT_TYPE = /^application\/vnd\.restate\.endpointmanifest\.v([0-9]{1,3})\+json$/;

export function isSupportedDiscoveryVersion(value: number): value is DiscoveryVersion {
  return (SUPPORTED_DISCOVERY_VERSIONS as readonly number[]).includes(value);
}

/** `application/vnd.restate.endpointmanifest.vN+json`. */
export function discoveryContentTypeFor(version: DiscoveryVersion): string {
  return `application/vnd.restate.endpointmanifest.v${version}+json`;
}

/**
 * The Accept header of stet's discovery request: every manifest version we read, newest first.
 * SDKs answer with the newest version they share with this list.
 */
export const DISCOVERY_ACCEPT = [...SUPPORTED_DISCOVERY_VERSIONS]
  .reverse()
  .map(discoveryContentTypeFor)
  .join(", ");

/** Reads the manifest version from the discovery response content-type. */
export function parseDiscoveryContentTypeVersion(contentType: string | undefined): DiscoveryVersion {
  const match = DISCOVERY_CONTENT_TYPE.exec(mediaType(contentType ?? ""));
  if (match === null) {
    throw new ProtocolError(
      ProtocolErrorCode.UnexpectedContentType,
      `discovery answered with content-type '${contentType ?? ""}', not a Restate endpoint manifest`,
    );
  }
  const version = Number(match[1]);
  if (!isSupportedDiscoveryVersion(version)) {
    throw new ProtocolError(
      ProtocolErrorCode.UnsupportedVersion,
      `discovery answered with endpoint manifest v${version}; stet reads v2 to v4`,
    );
  }
  return version;
}
