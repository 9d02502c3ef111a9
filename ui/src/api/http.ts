/**
 * The one place the UI talks HTTP to stet's admin port (same origin: the UI is served by it). Every
 * failure becomes an `ApiError` that names the request and carries stet's own message, so pages can
 * show the person what went wrong.
 */
export class ApiError extends Error {
  constructor(
    /** `POST /query`, `PATCH /invocations/inv_…/cancel`. */
    readonly request: string,
    /** The HTTP status; 0 when no answer came (stet down, network). */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface RequestOptions {
  readonly method?: "GET" | "POST" | "PATCH" | "DELETE";
  readonly body?: unknown;
  readonly accept?: string;
  readonly signal?: AbortSignal;
}

/** Sends one request and returns the response with a 2xx status; anything else throws an `ApiError`. */
export async function send(path: string, options: RequestOptions = {}): Promise<Response> {
  const method = options.method ?? "GET";
  const label = `${method} ${path}`;
  const headers: Record<string, string> = {};
  if (options.accept !== undefined) headers["accept"] = options.accept;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    if (options.signal?.aborted === true) throw error;
    throw new ApiError(label, 0, `stet did not answer (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!response.ok) throw new ApiError(label, response.status, await errorMessage(response));
  return response;
}

/** `send`, then the body as JSON. */
export async function sendForJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, { accept: "application/json", ...options });
  return (await response.json()) as T;
}

/** stet's admin errors are `{"message": …}`; anything else is shown as the text it is. */
async function errorMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const json = JSON.parse(text) as { message?: unknown };
    if (typeof json.message === "string") return json.message;
  } catch {
    // not JSON: fall through to the text
  }
  return text.trim() === "" ? `${response.status} ${response.statusText}` : text.trim();
}
