/**
 * The base of every coded error in stet. Each folder declares its own codes in its `errors.ts`;
 * `code` is stable (tests and docs pin it), `status` is the HTTP status where one applies.
 */
export class StetError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StetError";
    this.code = code;
    this.status = options.status ?? 500;
  }
}

/** Turns any thrown value into an Error so `catch` sites never handle `unknown`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === "string" ? value : JSON.stringify(value));
}
