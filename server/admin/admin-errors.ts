import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { StetError } from "../../protocol/errors.js";

/** Coded errors raised by the admin routes themselves (request checks). */
export const AdminErrorCode = {
  InvalidRequest: "STET_ADMIN_INVALID_REQUEST",
  UnsupportedApiVersion: "STET_ADMIN_UNSUPPORTED_API_VERSION",
} as const;
export type AdminErrorCode = (typeof AdminErrorCode)[keyof typeof AdminErrorCode];

export class AdminError extends StetError {
  constructor(code: AdminErrorCode, message: string) {
    super(code, message, { status: 400 });
    this.name = "AdminError";
  }
}

export const invalidField = (field: string, reason: string): AdminError =>
  new AdminError(AdminErrorCode.InvalidRequest, `The request field '${field}' is invalid. Reason: ${reason}`);

/** Restate's `ErrorDescriptionResponse`: every admin error answers with this body. */
export interface ErrorDescriptionJson {
  message: string;
  restate_code: string | null;
}

/**
 * Maps any error reaching a route to Restate's error body and the error's own status. Coded errors
 * carry their status (and Restate's `META` code where there is one); fastify's own errors (schema
 * validation, bad JSON, unsupported media type) keep fastify's status; anything else is a bug: 500.
 */
export function adminErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof StetError) {
    const restateCode = (error as StetError & { restateCode?: string | null }).restateCode ?? null;
    if (error.status >= 500) request.log.warn({ err: error }, "admin request failed");
    void reply.status(error.status).send(body(restateCode === null ? error.message : `[${restateCode}] ${error.message}`, restateCode));
    return;
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation !== undefined) {
    void reply.status(400).send(body(`The request is invalid: ${error.message}`, null));
    return;
  }
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    void reply.status(fastifyError.statusCode).send(body(error.message, null));
    return;
  }
  request.log.error({ err: error }, "admin request failed unexpectedly");
  void reply.status(500).send(body(`internal error: ${error.message}`, null));
}

const body = (message: string, restateCode: string | null): ErrorDescriptionJson => ({ message, restate_code: restateCode });
