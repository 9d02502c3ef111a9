/**
 * A small typed client for the ingress HTTP API (Restate 1.7 routes): call a handler and wait for
 * its output, send without waiting, and attach to or fetch the output of an invocation by id.
 * It uses the global fetch and depends on nothing in the server.
 */

/** The handler to invoke; `key` is required for virtual objects and workflows, absent for services. */
export interface Target {
  readonly service: string;
  readonly handler: string;
  readonly key?: string;
}

export interface IngressClientOptions {
  /** Base URL of the ingress, e.g. `http://localhost:8080` (a path prefix is kept). */
  readonly url: string | URL;
  /** Headers added to every request (e.g. authorization). */
  readonly headers?: Readonly<Record<string, string>>;
  /** The fetch to use; default the global one. */
  readonly fetch?: typeof fetch;
}

export interface RequestOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

export interface CallOptions extends RequestOptions {
  /** Sent as the `idempotency-key` header: repeating the call returns the first invocation's output. */
  readonly idempotencyKey?: string;
  /** Resolve with the response bytes instead of decoding JSON. */
  readonly raw?: boolean;
}

export interface SendOptions extends RequestOptions {
  /** Delay before the invocation runs: milliseconds, or a duration text such as "10s" or "PT10S". */
  readonly delay?: number | string;
  readonly idempotencyKey?: string;
}

/** An output with the id of the invocation that produced it (the `x-restate-id` response header). */
export interface CallResult<T> {
  readonly output: T;
  readonly invocationId: string | undefined;
  readonly status: number;
}

export type SendStatus = "Accepted" | "PreviouslyAccepted";

export interface SendResult {
  readonly invocationId: string;
  /** `PreviouslyAccepted` when an earlier send with the same idempotency key was found. */
  readonly status: SendStatus;
  /** ISO 8601 time the invocation is scheduled for, when a delay was given. */
  readonly executionTime?: string;
}

/** A non-2xx answer (or an unreadable 2xx answer) from the ingress. */
export class IngressError extends Error {
  /** HTTP status of the response. */
  readonly status: number;
  /** The `code` field of the error body: the handler's terminal error code, or the server's error code. */
  readonly code: number | string | undefined;
  /** `ingress` (the server refused the request) or `invocation` (the handler failed), when known. */
  readonly source: string | undefined;
  readonly invocationId: string | undefined;
  /** The response body as text, for diagnostics. */
  readonly body: string;

  constructor(init: {
    status: number;
    message: string;
    code?: number | string | undefined;
    source?: string | undefined;
    invocationId?: string | undefined;
    body: string;
  }) {
    super(init.message);
    this.name = "IngressError";
    this.status = init.status;
    this.code = init.code;
    this.source = init.source;
    this.invocationId = init.invocationId;
    this.body = init.body;
  }
}

const ID_HEADER = "x-restate-id";
const ERROR_SOURCE_HEADER = "x-restate-error-source";

export class IngressClient {
  readonly #base: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #fetch: typeof fetch;

  constructor(options: IngressClientOptions) {
    const url = new URL(String(options.url));
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`IngressClient: url must be http or https, got ${url.protocol}`);
    }
    this.#base = url.href.replace(/\/+$/, "");
    this.#headers = { ...options.headers };
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** Invokes a handler and waits for its output. `body` is JSON-encoded unless it is a Uint8Array. */
  call<T = unknown>(target: Target, body?: unknown, opts?: CallOptions & { raw?: false }): Promise<CallResult<T>>;
  call(target: Target, body: unknown, opts: CallOptions & { raw: true }): Promise<CallResult<Uint8Array>>;
  async call(target: Target, body?: unknown, opts: CallOptions = {}): Promise<CallResult<unknown>> {
    const response = await this.#request("POST", targetPath(target), body, opts);
    return readOutput(response, opts.raw === true);
  }

  /** Enqueues an invocation without waiting for it; resolves once the server has accepted it durably. */
  async send(target: Target, body?: unknown, opts: SendOptions = {}): Promise<SendResult> {
    const delay = opts.delay === undefined ? "" : `?delay=${encodeURIComponent(formatDelay(opts.delay))}`;
    const response = await this.#request("POST", `${targetPath(target)}/send${delay}`, body, opts);
    const text = await response.text();
    const parsed = parseJson(text)?.value as Partial<Record<keyof SendResult, unknown>> | null | undefined;
    const status = parsed?.status;
    if (typeof parsed?.invocationId !== "string" || (status !== "Accepted" && status !== "PreviouslyAccepted")) {
      throw new IngressError({ status: response.status, message: "unexpected send response from the ingress", body: text });
    }
    return {
      invocationId: parsed.invocationId,
      status,
      ...(typeof parsed.executionTime === "string" ? { executionTime: parsed.executionTime } : {}),
    };
  }

  /** Waits for an invocation to finish and returns its output. */
  attach<T = unknown>(invocationId: string, opts?: RequestOptions & { raw?: false }): Promise<CallResult<T>>;
  attach(invocationId: string, opts: RequestOptions & { raw: true }): Promise<CallResult<Uint8Array>>;
  async attach(invocationId: string, opts: RequestOptions & { raw?: boolean } = {}): Promise<CallResult<unknown>> {
    const response = await this.#request("GET", `/restate/invocation/${segment(invocationId)}/attach`, undefined, opts);
    return readOutput(response, opts.raw === true, invocationId);
  }

  /** Returns a finished invocation's output without waiting; an unfinished one is an IngressError (470). */
  output<T = unknown>(invocationId: string, opts?: RequestOptions & { raw?: false }): Promise<CallResult<T>>;
  output(invocationId: string, opts: RequestOptions & { raw: true }): Promise<CallResult<Uint8Array>>;
  async output(invocationId: string, opts: RequestOptions & { raw?: boolean } = {}): Promise<CallResult<unknown>> {
    const response = await this.#request("GET", `/restate/invocation/${segment(invocationId)}/output`, undefined, opts);
    return readOutput(response, opts.raw === true, invocationId);
  }

  async #request(
    method: "GET" | "POST",
    pathAndQuery: string,
    body: unknown,
    opts: RequestOptions & { idempotencyKey?: string },
  ): Promise<Response> {
    const headers: Record<string, string> = { ...this.#headers };
    let payload: Uint8Array | string | undefined;
    if (body instanceof Uint8Array) {
      payload = body;
      headers["content-type"] = "application/octet-stream";
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] = "application/json";
    }
    if (opts.idempotencyKey !== undefined) headers["idempotency-key"] = opts.idempotencyKey;
    Object.assign(headers, opts.headers);

    const response = await this.#fetch(`${this.#base}${pathAndQuery}`, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
    if (!response.ok) throw await toIngressError(response);
    return response;
  }
}

function targetPath(target: Target): string {
  const key = target.key === undefined ? "" : `/${segment(target.key)}`;
  return `/${segment(target.service)}${key}/${segment(target.handler)}`;
}

/** Encodes one path segment; keys may hold `/`, `?` or spaces. */
function segment(value: string): string {
  return encodeURIComponent(value);
}

function formatDelay(delay: number | string): string {
  if (typeof delay === "string") return delay;
  if (!Number.isFinite(delay) || delay < 0) throw new RangeError(`delay must be a non-negative number of ms, got ${delay}`);
  return `${Math.round(delay)}ms`;
}

async function readOutput(response: Response, raw: boolean, knownId?: string): Promise<CallResult<unknown>> {
  const invocationId = response.headers.get(ID_HEADER) ?? knownId;
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (raw) return { output: bytes, invocationId, status: response.status };
  // An empty body is a handler that returned nothing.
  if (bytes.byteLength === 0) return { output: undefined, invocationId, status: response.status };
  const text = new TextDecoder().decode(bytes);
  const parsed = parseJson(text);
  if (parsed === undefined) {
    throw new IngressError({
      status: response.status,
      message: "the ingress answered with a body that is not JSON (use { raw: true } for binary output)",
      invocationId,
      body: text,
    });
  }
  return { output: parsed.value, invocationId, status: response.status };
}

/** Restate's error body is `{ message, code?, source?, metadata?, stacktrace? }`; anything else is kept as text. */
async function toIngressError(response: Response): Promise<IngressError> {
  const text = await response.text().catch(() => "");
  const parsed = parseJson(text)?.value;
  const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const message =
    typeof record["message"] === "string"
      ? record["message"]
      : text.trim() !== ""
        ? text.trim()
        : `ingress answered ${response.status} ${response.statusText}`.trim();
  const code = typeof record["code"] === "number" || typeof record["code"] === "string" ? record["code"] : undefined;
  const source = typeof record["source"] === "string" ? record["source"] : (response.headers.get(ERROR_SOURCE_HEADER) ?? undefined);
  return new IngressError({
    status: response.status,
    message,
    code,
    source,
    invocationId: response.headers.get(ID_HEADER) ?? undefined,
    body: text,
  });
}

/** JSON.parse that says "not JSON" with undefined instead of throwing; a parsed value is boxed. */
function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}
