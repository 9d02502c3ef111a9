import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ServerResponse } from "node:http";
import { StetError } from "../../protocol/errors.js";

/** Coded errors raised by the admin routes themselves (request checks, invocation control). */
export const AdminErrorCode = {
  InvalidRequest: "STET_ADMIN_INVALID_REQUEST",
  UnsupportedApiVersion: "STET_ADMIN_UNSUPPORTED_API_VERSION",
  InvocationNotFound: "STET_ADMIN_INVOCATION_NOT_FOUND",
  /** The invocation's state does not allow the operation (Restate: 409). */
  InvocationStateConflict: "STET_ADMIN_INVOCATION_STATE_CONFLICT",
  /** Resume of an invocation that has not started yet, inboxed or scheduled (Restate: 425 Too Early). */
  InvocationNotStarted: "STET_ADMIN_INVOCATION_NOT_STARTED",
  /** The partition did not apply the operation and gave no reason (not led right now): retry. */
  InvocationUnavailable: "STET_ADMIN_INVOCATION_UNAVAILABLE",
  /** A valid request for something stet does not do (purge-journal): 422. */
  Unsupported: "STET_ADMIN_UNSUPPORTED",
  /** Restart-as-new of a workflow, or from a prefix on a protocol before v6 (Restate: 422). */
  RestartUnsupported: "STET_ADMIN_RESTART_UNSUPPORTED",
  /** Restart-as-new of an invocation whose journal (and so its input) is gone (Restate: 410). */
  InvocationInputGone: "STET_ADMIN_INVOCATION_INPUT_GONE",
  /** A restart-as-new `from` past the journal, or cutting off a command's completion (Restate: 400). */
  JournalRangeInvalid: "STET_ADMIN_JOURNAL_RANGE_INVALID",
  /** A deployment to run on that does not exist, or none serves the handler any more (Restate: 400). */
  DeploymentNotFound: "STET_ADMIN_DEPLOYMENT_NOT_FOUND",
  /** A deployment to move an invocation to that does not speak its pinned protocol version (Restate: 400). */
  DeploymentIncompatible: "STET_ADMIN_DEPLOYMENT_INCOMPATIBLE",
  /** A resume onto another deployment of an invocation that runs or is not pinned yet (Restate: 409). */
  DeploymentNotChangeable: "STET_ADMIN_DEPLOYMENT_NOT_CHANGEABLE",
  /** A known path asked with a method it does not serve (Restate: 405). */
  MethodNotAllowed: "STET_ADMIN_METHOD_NOT_ALLOWED",
  /** A body that lacks a required field or has one of the wrong type (Restate: 422). */
  UnprocessableBody: "STET_ADMIN_UNPROCESSABLE_BODY",
  /** A well-formed subscription id that names none (stet has no subscriptions). */
  SubscriptionNotFound: "STET_ADMIN_SUBSCRIPTION_NOT_FOUND",
  /** A subscription stet cannot create: its source, sink or Kafka cluster is refused (Restate: 400). */
  InvalidSubscription: "STET_ADMIN_INVALID_SUBSCRIPTION",
} as const;
export type AdminErrorCode = (typeof AdminErrorCode)[keyof typeof AdminErrorCode];

const STATUS: Readonly<Record<AdminErrorCode, number>> = {
  STET_ADMIN_INVALID_REQUEST: 400,
  STET_ADMIN_UNSUPPORTED_API_VERSION: 400,
  STET_ADMIN_INVOCATION_NOT_FOUND: 404,
  STET_ADMIN_INVOCATION_STATE_CONFLICT: 409,
  STET_ADMIN_INVOCATION_NOT_STARTED: 425,
  STET_ADMIN_INVOCATION_UNAVAILABLE: 503,
  STET_ADMIN_METHOD_NOT_ALLOWED: 405,
  STET_ADMIN_UNSUPPORTED: 422,
  STET_ADMIN_RESTART_UNSUPPORTED: 422,
  STET_ADMIN_INVOCATION_INPUT_GONE: 410,
  STET_ADMIN_JOURNAL_RANGE_INVALID: 400,
  STET_ADMIN_DEPLOYMENT_NOT_FOUND: 400,
  STET_ADMIN_DEPLOYMENT_INCOMPATIBLE: 400,
  STET_ADMIN_DEPLOYMENT_NOT_CHANGEABLE: 409,
  STET_ADMIN_UNPROCESSABLE_BODY: 422,
  STET_ADMIN_SUBSCRIPTION_NOT_FOUND: 404,
  STET_ADMIN_INVALID_SUBSCRIPTION: 400,
};

export class AdminError extends StetError {
  /** Restate's `restate_code` for the same refusal (a `META…` code), when it has one. */
  readonly restateCode: string | null;
  constructor(code: AdminErrorCode, message: string, restateCode: string | null = null) {
    super(code, message, { status: STATUS[code] });
    this.name = "AdminError";
    this.restateCode = restateCode;
  }
}

export const invalidField = (field: string, reason: string): AdminError =>
  new AdminError(AdminErrorCode.InvalidRequest, `The request field '${field}' is invalid. Reason: ${reason}`);

export const invalidQueryParameter = (name: string, reason: string): AdminError =>
  new AdminError(AdminErrorCode.InvalidRequest, `The query parameter '${name}' is invalid. Reason: ${reason}`);

export const methodNotAllowed = (method: string, url: string, allowed: readonly string[]): AdminError =>
  new AdminError(AdminErrorCode.MethodNotAllowed, `${method} is not allowed on ${url}; allowed: ${allowed.join(", ")}`);

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
    // As ingress does: a refusal to retry (store unreachable, leader unreachable) names its cause in a header.
    if (error.status === 503) void reply.header("x-stet-error-code", error.code);
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

/** The 503 of a request that reaches the admin port while stet starts or shuts down (raw response, no app). */
export function writeAdminUnavailable(response: ServerResponse, reason: "starting" | "stopping"): void {
  const text = JSON.stringify(
    body(reason === "starting" ? "stet is starting; try again in a moment" : "stet is shutting down; try again once it is back", null),
  );
  response.writeHead(503, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/**
 * Fastify's `frameworkErrors` for the admin app: errors raised before any route runs (a path that is not
 * valid percent-encoding, a path parameter over `maxParamLength`) answer with Restate's body too.
 */
export function adminFrameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void reply.status(status).send(body(error.message, null));
}
