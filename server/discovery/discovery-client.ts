import * as http2 from "node:http2";
import type { Client as UndiciClient } from "undici";
import {
  DISCOVERY_ACCEPT,
  MAX_PROTOCOL_VERSION,
  MIN_PROTOCOL_VERSION,
  ManifestError,
  ManifestErrorCode,
  SUPPORTED_DISCOVERY_VERSIONS,
  validateManifest,
  type DiscoveryVersion,
  type EndpointManifest,
  type ProtocolMode,
} from "../../protocol/index.js";
import { toError } from "../../protocol/errors.js";
import { bodyExcerpt, describeAnswer } from "./answer-excerpt.js";
import { DiscoveryError, DiscoveryErrorCode } from "./discovery-errors.js";

export interface DiscoverOptions {
  /** Headers added to the discovery request (and, once registered, to every invocation). */
  readonly additionalHeaders?: Readonly<Record<string, string>>;
  /** Talk HTTP/1.1 from the start instead of HTTP/2 with prior knowledge. Default false. */
  readonly useHttp11?: boolean;
  /**
   * When the peer does not speak HTTP/2 with prior knowledge, retry with HTTP/1.1. Default true.
   * Restate 1.7 does not (it fails with META0014 and asks for `use_http_11`); stet is lenient here.
   */
  readonly fallbackToHttp11?: boolean;
  /**
   * Budget for the whole discovery, in milliseconds: connecting, the answer and its body, over HTTP/2
   * and, when it falls back, HTTP/1.1 too (the fallback gets what the first attempt left). Default
   * 5 000: an SDK endpoint answers discovery in milliseconds, and an address that accepts connections
   * but never answers must not hold `POST /deployments` for long.
   */
  readonly timeoutMs?: number;
  /** The clock the budget is measured on, in milliseconds. Default `Date.now` (tests move it). */
  readonly now?: () => number;
  /** Largest manifest accepted, in bytes. Default 16 MiB. */
  readonly maxBodyBytes?: number;
  /** Service protocol versions stet speaks; the endpoint's range must overlap it. Default 5–7. */
  readonly supportedProtocolVersions?: { readonly min: number; readonly max: number };
}

export interface DiscoveredEndpoint {
  /** The URI discovered, normalized (`new URL(uri).href`). */
  readonly uri: string;
  readonly manifest: EndpointManifest;
  readonly manifestVersion: DiscoveryVersion;
  readonly protocolMode: ProtocolMode;
  /** The HTTP version the endpoint answered with; invocations use the same. */
  readonly httpVersion: 1 | 2;
  readonly minProtocolVersion: number;
  readonly maxProtocolVersion: number;
  /** The endpoint's `x-restate-server` header (e.g. `restate-sdk-typescript/1.17.2`), if sent. */
  readonly sdkVersion?: string;
}

interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
  readonly httpVersion: 1 | 2;
}

const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

/** Parses and checks a deployment URI: absolute, http or https. */
export function parseDeploymentUri(uri: string): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new DiscoveryError(DiscoveryErrorCode.InvalidUri, `the deployment uri ${JSON.stringify(uri)} is not an absolute URI`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new DiscoveryError(DiscoveryErrorCode.InvalidUri, `the deployment uri ${JSON.stringify(uri)} must use http or https, not ${url.protocol.slice(0, -1)}`);
  }
  return url;
}

/** `{uri}/discover`, keeping the path the SDK is mounted under. */
export function discoverUrl(base: URL): URL {
  const url = new URL(base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/discover`;
  url.hash = "";
  return url;
}

/**
 * Asks a deployment for its endpoint manifest and checks it. Tries HTTP/2 with prior knowledge
 * first (what `restate.serve()` and Restate's own client speak), then HTTP/1.1 if the peer does not
 * speak it. Every connection is closed before this returns, on success and on failure.
 */
export async function discover(uri: string, options: DiscoverOptions = {}): Promise<DiscoveredEndpoint> {
  const base = parseDeploymentUri(uri);
  const target = discoverUrl(base);
  const headers = requestHeaders(options.additionalHeaders);
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const budget: Budget = { timeoutMs, deadline: now() + timeoutMs, now };
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;

  let answer: RawAnswer;
  let fellBack = false;
  if (options.useHttp11 === true) {
    answer = await getOverHttp1(target, headers, budget, maxBody);
  } else {
    try {
      answer = await getOverHttp2(target, headers, budget, maxBody);
    } catch (error) {
      if (!(error instanceof NotHttp2)) throw error;
      if (options.fallbackToHttp11 === false) {
        throw new DiscoveryError(
          DiscoveryErrorCode.Http2Unsupported,
          `error when calling '${target.href}': the server does not speak HTTP/2 with prior knowledge (${error.message}); it possibly supports only HTTP/1.1, register it with use_http_11`,
          { cause: error },
        );
      }
      answer = await getOverHttp1(target, headers, budget, maxBody);
      fellBack = true;
    }
  }
  return interpret(base, target, answer, fellBack, options.supportedProtocolVersions ?? { min: MIN_PROTOCOL_VERSION, max: MAX_PROTOCOL_VERSION });
}

/** The time discovery may take, in total: the fallback attempt gets what the first one left. */
interface Budget {
  readonly timeoutMs: number;
  readonly deadline: number;
  readonly now: () => number;
}

const remaining = (budget: Budget): number => Math.max(0, budget.deadline - budget.now());

function requestHeaders(additional: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(additional ?? {})) headers[name.toLowerCase()] = value;
  headers.accept = DISCOVERY_ACCEPT;
  return headers;
}

const MOUNT_HINT = "make sure the uri points to where the Restate SDK endpoint is mounted";

function interpret(base: URL, target: URL, answer: RawAnswer, fellBack: boolean, supported: { min: number; max: number }): DiscoveredEndpoint {
  const where = `'${target.href}'`;
  const contentType = answer.headers["content-type"];
  const manifestVersion = manifestVersionOf(contentType ?? "");
  const ok = answer.status >= 200 && answer.status <= 299;
  if (!ok || manifestVersion === undefined) {
    const found = describeAnswer({ status: answer.status, contentType, body: answer.body });
    if (fellBack && !RESTATE_MANIFEST_TYPE.test(contentType ?? "")) {
      // Restate does not fall back and reports such a peer as one that "possibly supports only
      // HTTP/1.1" (META0014); stet tried HTTP/1.1 and can say what it found there.
      throw new DiscoveryError(
        DiscoveryErrorCode.Http1NotAnEndpoint,
        `error when calling ${where}: not a Restate endpoint: no HTTP/2, and over HTTP/1.1 it answered ${found}; ${MOUNT_HINT}`,
      );
    }
    if (!ok) throw new DiscoveryError(DiscoveryErrorCode.BadStatus, `error when calling ${where}: got ${found}; ${MOUNT_HINT}`);
    throw new DiscoveryError(
      DiscoveryErrorCode.NotAManifest,
      `the answer of ${where} is not an endpoint manifest: got ${found}; expected a content-type of ${DISCOVERY_ACCEPT}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(answer.body.toString("utf8"));
  } catch (error) {
    throw new DiscoveryError(
      DiscoveryErrorCode.BadManifest,
      `the endpoint manifest of ${where} is not valid JSON (${toError(error).message}), ${answer.body.length} bytes: ${bodyExcerpt(answer.body)}`,
      { cause: error },
    );
  }
  let manifest: EndpointManifest;
  try {
    manifest = validateManifest(json);
  } catch (error) {
    // Type contradictions keep their own 400 error (Restate answers 400 for them too); a malformed
    // document is the endpoint's fault and reported like Restate's decode failure.
    if (error instanceof ManifestError && error.code === ManifestErrorCode.Invalid) {
      throw new DiscoveryError(DiscoveryErrorCode.BadManifest, `the endpoint manifest of ${where} is invalid: ${error.message}`, { cause: error });
    }
    throw error;
  }
  if (manifest.protocolMode === undefined) {
    throw new DiscoveryError(
      DiscoveryErrorCode.BadManifest,
      `the endpoint manifest of ${where} is invalid: protocolMode is missing; an HTTP endpoint must declare BIDI_STREAM or REQUEST_RESPONSE`,
    );
  }
  if (manifest.maxProtocolVersion < supported.min || manifest.minProtocolVersion > supported.max) {
    throw new DiscoveryError(
      DiscoveryErrorCode.UnsupportedProtocol,
      `the endpoint ${where} speaks service protocol versions ${manifest.minProtocolVersion} to ${manifest.maxProtocolVersion}, stet speaks ${supported.min} to ${supported.max}; upgrade the SDK and register again`,
    );
  }
  const sdkVersion = answer.headers["x-restate-server"];
  return {
    uri: base.href,
    manifest,
    manifestVersion,
    protocolMode: manifest.protocolMode,
    httpVersion: answer.httpVersion,
    minProtocolVersion: manifest.minProtocolVersion,
    maxProtocolVersion: manifest.maxProtocolVersion,
    ...(sdkVersion === undefined ? {} : { sdkVersion }),
  };
}

// Any endpoint manifest media type, also of a version stet does not read: the peer is a Restate SDK.
const RESTATE_MANIFEST_TYPE = /^\s*application\/vnd\.restate\.endpointmanifest\./i;

function manifestVersionOf(contentType: string): DiscoveryVersion | undefined {
  const media = contentType.split(";")[0]!.trim().toLowerCase();
  const match = /^application\/vnd\.restate\.endpointmanifest\.v(\d+)\+json$/.exec(media);
  const version = match === null ? undefined : Number(match[1]);
  return (SUPPORTED_DISCOVERY_VERSIONS as readonly number[]).includes(version ?? -1) ? (version as DiscoveryVersion) : undefined;
}

/** Internal marker: the peer accepted TCP but does not speak HTTP/2 with prior knowledge. */
class NotHttp2 extends Error {}

// Errors that mean nobody (or nothing useful) is listening: no fallback to HTTP/1.1 helps.
const NETWORK_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EADDRNOTAVAIL"]);

function unreachable(target: URL, error: unknown): DiscoveryError {
  const e = toError(error) as Error & { code?: string };
  const detail = e.code !== undefined && !e.message.includes(e.code) ? `${e.message} (${e.code})` : e.message;
  return new DiscoveryError(DiscoveryErrorCode.Unreachable, `error when calling '${target.href}': ${detail}`, { cause: error });
}

function timedOut(target: URL, budget: Budget): DiscoveryError {
  return new DiscoveryError(
    DiscoveryErrorCode.Unreachable,
    `error when calling '${target.href}': no complete answer within ${budget.timeoutMs} ms (the server accepts connections but does not answer the discovery request)`,
  );
}

function tooLarge(target: URL, maxBody: number): DiscoveryError {
  return new DiscoveryError(DiscoveryErrorCode.BadManifest, `the answer of '${target.href}' is larger than ${maxBody} bytes`);
}

function getOverHttp2(target: URL, headers: Record<string, string>, budget: Budget, maxBody: number): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    let settled = false;
    let spokeHttp2 = false;
    const chunks: Buffer[] = [];
    let size = 0;
    let status = 0;
    let responseHeaders: Record<string, string | undefined> = {};

    const session = http2.connect(target.origin);
    const timer = setTimeout(() => finish(timedOut(target, budget)), remaining(budget));
    const finish = (outcome: RawAnswer | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const fail = (error: unknown): void => {
      const e = toError(error) as Error & { code?: string; syscall?: string };
      if (e.code !== undefined && NETWORK_CODES.has(e.code)) return finish(unreachable(target, e));
      // Connected, but the peer never sent HTTP/2 settings: an HTTP/1.x server answering our preface.
      if (!spokeHttp2) return finish(new NotHttp2(e.message));
      finish(unreachable(target, e));
    };

    session.once("remoteSettings", () => {
      spokeHttp2 = true;
    });
    session.on("error", fail);
    session.once("close", () => fail(new Error("the connection closed before the answer was complete")));
    session.on("goaway", () => {
      if (!spokeHttp2) fail(new Error("the peer sent GOAWAY before its settings"));
    });

    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({ ":method": "GET", ":path": `${target.pathname}${target.search}`, ...withoutHopByHop(headers) });
    } catch (error) {
      // An additional header HTTP/2 refuses (malformed value): report it, and release the session and timer.
      return finish(unreachable(target, error));
    }
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      responseHeaders = flatten(h);
    });
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) return finish(tooLarge(target, maxBody));
      chunks.push(chunk);
    });
    stream.on("end", () => {
      // A stream can end without any answer when the peer drops the connection (node ends it before
      // the session's close): that is no status 0 answer but a failure, possibly of a non-HTTP/2 peer.
      if (status === 0) return fail(new Error("the connection closed before any answer"));
      finish({ status, headers: responseHeaders, body: Buffer.concat(chunks), httpVersion: 2 });
    });
    stream.on("error", fail);
    stream.end();
  });
}

// Connection-specific headers are forbidden in HTTP/2 (RFC 9113 §8.2.2); node throws on them.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host"]);

function withoutHopByHop(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

function flatten(headers: http2.IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value === undefined ? undefined : String(value);
  }
  return out;
}

async function getOverHttp1(target: URL, headers: Record<string, string>, budget: Budget, maxBody: number): Promise<RawAnswer> {
  // A client of its own per discovery: destroyed below, so no pooled socket outlives the call.
  // undici is loaded on first use: most deployments speak HTTP/2, and importing it costs startup time.
  const { Client } = await import("undici");
  const timeoutMs = remaining(budget);
  if (timeoutMs === 0) throw timedOut(target, budget);
  const client: UndiciClient = new Client(target.origin, { connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await client.request({ method: "GET", path: `${target.pathname}${target.search}`, headers, signal: abort.signal });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBody) throw tooLarge(target, maxBody);
      chunks.push(chunk);
    }
    return { status: response.statusCode, headers: flatten(response.headers), body: Buffer.concat(chunks), httpVersion: 1 };
  } catch (error) {
    if (error instanceof DiscoveryError) throw error;
    if (abort.signal.aborted) throw timedOut(target, budget);
    const e = toError(error) as Error & { code?: string };
    if (e.code === "UND_ERR_CONNECT_TIMEOUT" || e.code === "UND_ERR_HEADERS_TIMEOUT" || e.code === "UND_ERR_BODY_TIMEOUT") {
      throw timedOut(target, budget);
    }
    throw unreachable(target, error);
  } finally {
    clearTimeout(timer);
    await client.destroy().catch(() => undefined);
  }
}
