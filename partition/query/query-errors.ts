import { StetError } from "../../protocol/errors.js";

export const QUERY_ERROR_CODES = {
  /** The SQL does not parse, names what does not exist, or uses what stet does not support: 400. */
  invalid: "STET_QUERY_INVALID",
  /** Anything but one read-only SELECT (DDL, DML, several statements): 400, and nothing changes. */
  notReadOnly: "STET_QUERY_NOT_READ_ONLY",
  /** The query ran past its time limit and stopped itself: 400 (it asks for too much). */
  timeout: "STET_QUERY_TIMEOUT",
  /** The query failed for a reason of the server's (its query process died, the store failed): 500. */
  failed: "STET_QUERY_FAILED",
  /** Too many queries wait already: 429, retry later. */
  busy: "STET_QUERY_BUSY",
  /** The query engine cannot run here (not built, or shutting down): 503. */
  unavailable: "STET_QUERY_UNAVAILABLE",
} as const;

export type QueryErrorCode = (typeof QUERY_ERROR_CODES)[keyof typeof QUERY_ERROR_CODES];

const STATUS: Readonly<Record<QueryErrorCode, number>> = {
  STET_QUERY_INVALID: 400,
  STET_QUERY_NOT_READ_ONLY: 400,
  STET_QUERY_TIMEOUT: 400,
  STET_QUERY_FAILED: 500,
  STET_QUERY_BUSY: 429,
  STET_QUERY_UNAVAILABLE: 503,
};

export class QueryError extends StetError {
  constructor(code: QueryErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { status: STATUS[code], ...options });
    this.name = "QueryError";
  }
}

export const invalidQuery = (message: string): QueryError => new QueryError(QUERY_ERROR_CODES.invalid, message);

/** A query stopped at its time limit (each store enforces it its own way). */
export const queryTimedOut = (limitMs: number): QueryError =>
  new QueryError(QUERY_ERROR_CODES.timeout, `the query took longer than its limit of ${limitMs} ms; narrow it (WHERE, LIMIT) or ask for less`);
