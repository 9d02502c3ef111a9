import { StetError } from "../../protocol/errors.js";

/**
 * Coded errors of deployment discovery. Statuses follow what Restate 1.7.12 answers on
 * `POST /deployments` for the same failure (checked against the real server): every failure to get
 * a usable manifest is a 500 there, with the `META00xx` code it reports as `restate_code`.
 */
export const DiscoveryErrorCode = {
  /** Connection refused or reset, DNS failure, TLS failure, or no answer before the timeout. */
  Unreachable: "STET_DISCOVERY_UNREACHABLE",
  /** The endpoint answered with a non-2xx status. */
  BadStatus: "STET_DISCOVERY_BAD_STATUS",
  /** The answer is not an endpoint manifest (content type). */
  NotAManifest: "STET_DISCOVERY_NOT_A_MANIFEST",
  /** The answer claims to be a manifest but is not valid JSON or not a valid manifest. */
  BadManifest: "STET_DISCOVERY_BAD_MANIFEST",
  /** The endpoint's protocol version range does not overlap the versions stet speaks. */
  UnsupportedProtocol: "STET_DISCOVERY_UNSUPPORTED_PROTOCOL",
  /** The peer does not speak HTTP/2 with prior knowledge, and falling back to HTTP/1.1 was disabled. */
  Http2Unsupported: "STET_DISCOVERY_HTTP2_UNSUPPORTED",
  /**
   * The peer does not speak HTTP/2 with prior knowledge, and its HTTP/1.1 answer after the fallback is
   * not a manifest (an error status or another content type): typically an ordinary web server. Restate,
   * which does not fall back, reports such a peer as META0014.
   */
  Http1NotAnEndpoint: "STET_DISCOVERY_HTTP1_NOT_AN_ENDPOINT",
  /** The deployment URI is not an absolute http(s) URI. */
  InvalidUri: "STET_DISCOVERY_INVALID_URI",
} as const;
export type DiscoveryErrorCode = (typeof DiscoveryErrorCode)[keyof typeof DiscoveryErrorCode];

const STATUS: Readonly<Record<DiscoveryErrorCode, number>> = {
  STET_DISCOVERY_UNREACHABLE: 500,
  STET_DISCOVERY_BAD_STATUS: 500,
  STET_DISCOVERY_NOT_A_MANIFEST: 500,
  STET_DISCOVERY_BAD_MANIFEST: 500,
  STET_DISCOVERY_UNSUPPORTED_PROTOCOL: 500,
  STET_DISCOVERY_HTTP2_UNSUPPORTED: 500,
  STET_DISCOVERY_HTTP1_NOT_AN_ENDPOINT: 500,
  STET_DISCOVERY_INVALID_URI: 400,
};

/** The code Restate puts in `restate_code` for the same failure (null where it reports none). */
const RESTATE_CODE: Readonly<Record<DiscoveryErrorCode, string | null>> = {
  STET_DISCOVERY_UNREACHABLE: "META0003",
  STET_DISCOVERY_BAD_STATUS: "META0003",
  STET_DISCOVERY_NOT_A_MANIFEST: "META0013",
  STET_DISCOVERY_BAD_MANIFEST: null,
  STET_DISCOVERY_UNSUPPORTED_PROTOCOL: "META0012",
  STET_DISCOVERY_HTTP2_UNSUPPORTED: "META0014",
  STET_DISCOVERY_HTTP1_NOT_AN_ENDPOINT: "META0014",
  STET_DISCOVERY_INVALID_URI: null,
};

export class DiscoveryError extends StetError {
  readonly restateCode: string | null;
  constructor(code: DiscoveryErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { status: STATUS[code], cause: options.cause });
    this.name = "DiscoveryError";
    this.restateCode = RESTATE_CODE[code];
  }
}
