import { StetError } from "../../protocol/errors.js";

export const QUERY_ERROR_CODES = {
  /** The SQL does not parse, names what does not exist, or uses what stet does not support: 400. */
  invalid: "STET_QUERY_INVALID",
  /** Anything but one read-only SELECT (DDL, DML, several statements): 400, and nothing changes. */
  notReadOnly: "STET_QUERY_NOT_READ_ONLY",
  /** The query ran past its time limit and stopped itself: 400 (it asks for too much). */
  timeout: "STET_QUERY_TIMEOUT",
} as const;

export class QueryError extends StetError {
  constructor(code: (typeof QUERY_ERROR_CODES)[keyof typeof QUERY_ERROR_CODES], message: string, options: { cause?: unknown } = {}) {
    super(code, message, { status: 400, ...options });
    this.name = "QueryError";
  }
}

export const invalidQuery = (message: string): QueryError => new QueryError(QUERY_ERROR_CODES.invalid, message);
