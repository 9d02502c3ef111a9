import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type {
  CommandResult,
  HandlerInfo,
  InvocationOutcome,
  NewInvocation,
  OutcomeTarget,
  PartitionMessage,
  Started,
} from "../../partition/index.js";
import { derivedInvocationIdOf, encodeEntry, notifications } from "../../partition/index.js";
import { parseAwakeableId, parseInvocationId, type InvocationId, type ServiceType } from "../../protocol/index.js";
import { StetError, toError } from "../../protocol/errors.js";
import { sendIngressError } from "./ingress-errors.js";
import { unhealthyBody, type HealthProbe } from "../http/health-probe.js";
import { parseDelay } from "./delay.js";
import { parseLookupTarget, type LookupTarget } from "./lookup-target.js";
import { FORWARDED_HEADER, forwardingErrorHandler, type RequestForwarder } from "../routing/index.js";
import {
  BAD_INVOCATION_PATH,
  BAD_RESTATE_PATH,
  BAD_SERVICE_PATH,
  contentTypeMatches,
  mediaType,
  parseIngressPath,
  readHandlerCall,
  scopeProblem,
  type OutputAction,
  type ServiceRoute,
} from "./ingress-path.js";

export interface IngressHandler {
  readonly info: HandlerInfo;
  /** The media type a non-empty input must have (`*` wildcards allowed); undefined = any. */
  readonly inputContentType: string | undefined;
  readonly outputContentType: string | undefined;
  readonly public: boolean;
}

/** What ingress needs to know about registered services. */
export interface IngressRegistry {
  serviceNames(): string[];
  lookupService(name: string): { readonly type: ServiceType; handler(name: string): IngressHandler | undefined } | undefined;
}

/** What ingress needs of the engine: accept invocations durably, find them, wait for their outcome. */
export interface IngressEngine {
  invoke(invocation: NewInvocation): Promise<Started>;
  awaitCompletion(invocationId: InvocationId, signal?: AbortSignal): Promise<InvocationOutcome>;
  getInvocation(invocationId: string): { readonly outcome: InvocationOutcome | null; readonly target: { readonly service: string; readonly handler: string } } | undefined;
  findInvocation(target: OutcomeTarget): InvocationId | undefined;
  send(invocationId: InvocationId, message: PartitionMessage): Promise<CommandResult>;
}

export interface IngressPluginOptions {
  readonly registry: IngressRegistry;
  readonly engine: IngressEngine;
  /**
   * Aborted when stet begins to shut down: callers waiting for an outcome then get a 503 (the invocation
   * is durable and continues after restart) instead of a cut connection. Default: closing the app.
   */
  readonly shutdown?: AbortSignal;
  /** Why `GET /restate/health` answers 503 instead of 200 (the store unreachable); always 200 without it. */
  readonly health?: HealthProbe;
  /** Passes requests for partitions another node leads on to that node; without it they answer 503. */
  readonly forwarder?: RequestForwarder;
  /**
   * Reloads the registry when the store changed (resolves true when it did). Asked once before a request
   * is answered with "service or handler not found": in a cluster another node may have registered it a
   * moment ago. Without it (one node: every change goes through this registry) a miss answers at once.
   */
  readonly refreshRegistry?: () => Promise<boolean>;
}

/** The caller hung up while waiting; nothing to answer, nothing to log. */
class CallerGoneError extends StetError {
  constructor() {
    super("STET_CALLER_GONE", "the caller disconnected before the invocation completed", { status: 499 });
  }
}

export class ShuttingDownError extends StetError {
  constructor() {
    super("STET_SHUTTING_DOWN", "stet is shutting down; the invocation continues after restart", { status: 503 });
  }
}

/**
 * Largest ingress request body, in bytes: 10 MiB. Bodies are journaled whole as the invocation's input and
 * sent to the deployment in one frame (the frame decoder's limit is 32 MiB), so the limit keeps one request
 * from filling memory and storage; a larger body is refused with 413 before it is read.
 */
export const INGRESS_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

// Headers that describe the HTTP exchange itself rather than the request; not passed to handlers.
// The forwarding mark is routing between stet's own nodes: an invocation's input is the same on any node.
const HOP_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade", "te", "trailer", FORWARDED_HEADER]);

/** Restate's ingress routes: call, send, attach/output, lookup, workflows, awakeables, health. */
export async function ingressPlugin(app: FastifyInstance, options: IngressPluginOptions): Promise<void> {
  const { registry, engine } = options;

  // Bodies are passed to handlers untouched, whatever their content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  let shutdown = options.shutdown;
  if (shutdown === undefined) {
    const closing = new AbortController();
    app.addHook("preClose", async () => closing.abort());
    shutdown = closing.signal;
  }

  async function awaitOutcome(reply: FastifyReply, id: InvocationId): Promise<InvocationOutcome> {
    if (shutdown!.aborted) throw new ShuttingDownError();
    const controller = new AbortController();
    // The response closing before it was written means the caller is gone. (The request's own "close"
    // fires once its body has been read, while the caller still waits: not a sign of anything.)
    const onClose = () => {
      if (!reply.raw.writableFinished) controller.abort(new CallerGoneError());
    };
    const onShutdown = () => controller.abort(new ShuttingDownError());
    reply.raw.once("close", onClose);
    shutdown!.addEventListener("abort", onShutdown, { once: true });
    try {
      return await engine.awaitCompletion(id, controller.signal);
    } finally {
      shutdown!.removeEventListener("abort", onShutdown);
      reply.raw.off("close", onClose);
    }
  }

  const badServicePath = (reply: FastifyReply, route: ServiceRoute = "classic") =>
    sendIngressError(reply, 400, route === "classic" ? BAD_SERVICE_PATH : BAD_RESTATE_PATH);

  app.route({
    method: ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"],
    url: "/*",
    bodyLimit: INGRESS_BODY_LIMIT_BYTES,
    handler: async (request, reply) => {
      const parsed = parseIngressPath(request.url);
      if (parsed.kind === "invalid") return sendIngressError(reply, parsed.status, parsed.message);
      if (parsed.kind === "scoped") {
        // Restate 1.7 (vqueues off, its default) refuses scoped invocations once the handler is found,
        // whatever the method; stet has no scopes.
        const problem = scopeProblem(parsed.scope);
        if (problem !== undefined) return sendIngressError(reply, 400, problem);
        return invoke(request, reply, parsed.service, parsed.rest, parsed.route, true);
      }
      // Handlers take GET and POST; routes with a body (awakeables, lookup, attach/output by body) only
      // POST; the other /restate/ read routes only GET.
      const allowed =
        parsed.kind === "service" ? ["GET", "POST"] : POST_ONLY.has(parsed.kind) ? ["POST"] : ["GET"];
      if (!allowed.includes(request.method)) return sendIngressError(reply, 405, "method not allowed");
      if (parsed.kind === "health") {
        const problem = options.health?.();
        if (problem !== undefined) return reply.code(503).send(unhealthyBody(problem));
        return reply.send({ services: registry.serviceNames() });
      }

      switch (parsed.kind) {
        case "invocation": {
          let id: InvocationId;
          try {
            id = parseInvocationId(parsed.invocationId);
          } catch (error) {
            return sendIngressError(reply, 400, `bad invocation id '${parsed.invocationId}': ${toError(error).message}`);
          }
          return output(request, reply, id, parsed.action);
        }
        case "workflow": {
          const service = await lookupService(parsed.service);
          if (service === undefined) return serviceNotFound(reply, parsed.service);
          const id = engine.findInvocation({ kind: "workflow", service: parsed.service, key: parsed.key });
          return output(request, reply, id, parsed.action);
        }
        case "idempotent": {
          const service = await lookupService(parsed.service);
          if (service === undefined) return serviceNotFound(reply, parsed.service);
          const keyed = service.type !== "SERVICE";
          if (parsed.parts.length !== (keyed ? 3 : 2)) {
            // As Restate 1.7 answers: a plain service's target with one segment too many names nothing.
            if (!keyed && parsed.parts.length === 3) return sendIngressError(reply, 404, "not found");
            return sendIngressError(reply, 400, BAD_INVOCATION_PATH);
          }
          const [key, handler, idempotencyKey] = keyed ? parsed.parts : ["", ...parsed.parts];
          const id = engine.findInvocation({ kind: "idempotent", service: parsed.service, key: key!, handler: handler!, idempotencyKey: idempotencyKey! });
          return output(request, reply, id, parsed.action);
        }
        case "target-body":
        case "lookup": {
          const read = parseLookupTarget((request.body as Buffer | undefined) ?? Buffer.alloc(0));
          if ("problem" in read) {
            const what = parsed.kind === "lookup" ? "lookup body" : "request body";
            // Restate answers 500 here; a body the client got wrong is a client error (known-differences.ts).
            return sendIngressError(reply, 400, `cannot read body: invalid ${what}: ${read.problem}`);
          }
          const id = findTarget(read.target);
          if (id instanceof Error) return sendIngressError(reply, 400, id.message);
          if (parsed.kind === "target-body") return output(request, reply, id, parsed.action);
          // A workflow run's or an idempotent call's id derives from its target: it is named before it runs.
          const named = id ?? (read.target.kind === "invocation" ? undefined : derivedInvocationIdOf(read.target));
          if (named === undefined) return sendIngressError(reply, 404, "invocation not found");
          return reply.code(200).header("content-type", "application/json").send(JSON.stringify({ invocationId: named }));
        }
        case "awakeable":
          return completeAwakeable(request, reply, parsed.awakeableId, parsed.action);
        case "service":
          return invoke(request, reply, parsed.service, parsed.rest, parsed.route);
      }
    },
  });

  /** The id a lookup target names: undefined when nothing ran under it, an Error for a malformed id. */
  function findTarget(target: LookupTarget): InvocationId | undefined | Error {
    if (target.kind !== "invocation") return engine.findInvocation(target);
    try {
      return parseInvocationId(target.invocationId);
    } catch (error) {
      return new Error(`bad invocation id '${target.invocationId}': ${toError(error).message}`);
    }
  }

  /**
   * Reads the registry with `read`; when that finds nothing (`missed`), reloads the registry once and
   * reads again. Concurrent misses share one reload (DeploymentRegistry.refresh), and an unchanged
   * registry costs one version read.
   */
  async function freshly<T>(read: () => T, missed: (found: T) => boolean): Promise<T> {
    const found = read();
    if (!missed(found) || options.refreshRegistry === undefined) return found;
    return (await options.refreshRegistry()) ? read() : found;
  }

  const lookupService = (name: string) => freshly(() => registry.lookupService(name), (found) => found === undefined);

  /** The handler a call path names, or why there is none. */
  function resolveCall(serviceName: string, rest: readonly string[], route: ServiceRoute) {
    const service = registry.lookupService(serviceName);
    if (service === undefined) return { kind: "no-service" } as const;
    const call = readHandlerCall(rest, service.type !== "SERVICE", route);
    if (call === undefined) return { kind: "bad-path" } as const;
    const handler = service.handler(call.handler);
    if (handler === undefined) return { kind: "no-handler", call } as const;
    return { kind: "found", call, handler } as const;
  }

  function serviceNotFound(reply: FastifyReply, service: string) {
    return sendIngressError(reply, 404, `service '${service}' not found, make sure to register the service before calling it.`);
  }

  async function invoke(
    request: FastifyRequest,
    reply: FastifyReply,
    serviceName: string,
    rest: readonly string[],
    route: ServiceRoute,
    scoped = false,
  ) {
    const resolved = await freshly(
      () => resolveCall(serviceName, rest, route),
      (found) => found.kind === "no-service" || found.kind === "no-handler",
    );
    if (resolved.kind === "no-service") return serviceNotFound(reply, serviceName);
    if (resolved.kind === "bad-path") return badServicePath(reply, route);
    if (resolved.kind === "no-handler") {
      return sendIngressError(
        reply,
        404,
        `the service '${serviceName}' exists, but the handler '${resolved.call.handler}' was not found, check that the handler exists in the latest registered service version.`,
      );
    }
    const { call, handler } = resolved;
    if (scoped) return sendIngressError(reply, 400, "scoped invocations require vqueues to be enabled");
    if (!handler.public) return sendIngressError(reply, 400, "the invoked service is not public");

    const body = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
    const inputProblem = checkInput(body, request.headers["content-type"], handler.inputContentType);
    if (inputProblem !== undefined) return sendIngressError(reply, 400, `input validation error: ${inputProblem}`);

    const delayParam = (request.query as Record<string, unknown>)["delay"];
    let delayMs = 0;
    if (delayParam !== undefined) {
      if (!call.send) {
        return sendIngressError(reply, 400, "cannot use the delay query parameter with calls. The delay is supported only with sends");
      }
      const parsedDelay = typeof delayParam === "string" ? parseDelay(delayParam) : undefined;
      if (parsedDelay === undefined || parsedDelay < 0) {
        return sendIngressError(
          reply,
          400,
          delayParam === ""
            ? "bad delay query parameter, must be a ISO8601 duration: an empty string is not a valid duration"
            : `bad delay query parameter, must be a ISO8601 duration: '${String(delayParam)}' (500ms, 10s and PT0.1S are accepted)`,
        );
      }
      // The execution time is stored as an integer and reported as an RFC 3339 date: it must be a valid Date.
      if (Number.isNaN(new Date(Date.now() + parsedDelay).getTime())) {
        return sendIngressError(reply, 400, `bad delay '${String(delayParam)}': the execution time would be past the year 275760`);
      }
      delayMs = parsedDelay;
    }
    const idempotencyHeader = request.headers["idempotency-key"];
    // An empty header is a key like any other, as Restate treats it.
    const idempotencyKey = typeof idempotencyHeader === "string" ? idempotencyHeader : null;
    if (idempotencyKey !== null && isWorkflowRun(handler)) {
      // The workflow key already makes a run idempotent; shared handlers of a workflow take keys.
      return sendIngressError(
        reply,
        400,
        "cannot use the idempotency key with workflow handlers. The handler invocation will already be idempotent by the workflow key itself.",
      );
    }

    const executionTime = delayMs > 0 ? Date.now() + delayMs : undefined;
    const started = await engine.invoke({
      target: { service: serviceName, handler: call.handler, key: call.key },
      handler: handler.info,
      body,
      headers: passthroughHeaders(request),
      idempotencyKey,
      ...(executionTime === undefined ? {} : { executionTime }),
    });
    reply.header("x-restate-id", started.invocationId);
    if (call.send) {
      const body: Record<string, string> = { invocationId: started.invocationId };
      if (executionTime !== undefined) body["executionTime"] = new Date(executionTime).toISOString();
      body["status"] = started.existing ? "PreviouslyAccepted" : "Accepted";
      return reply.code(202).header("content-type", "application/json").send(JSON.stringify(body));
    }
    if (started.existing && isWorkflowRun(handler)) {
      // A workflow runs once per key; a second blocking submission is refused (attach is the way to wait).
      return sendIngressError(reply, 409, "the workflow method was already invoked", "invocation");
    }
    const outcome = await awaitOutcome(reply, started.invocationId);
    return sendOutcome(reply, outcome, handler.outputContentType);
  }

  /** Attach (wait) or output (now) of an invocation; Restate's statuses and headers for each case. */
  async function output(request: FastifyRequest, reply: FastifyReply, id: InvocationId | undefined, action: OutputAction) {
    const record = id === undefined ? undefined : engine.getInvocation(id);
    if (record === undefined) {
      if (action === "output") return sendIngressError(reply, 404, "invocation not found");
      if (id !== undefined) reply.header("x-restate-id", id);
      return sendIngressError(reply, 404, "not found", "invocation");
    }
    const contentType = registry.lookupService(record.target.service)?.handler(record.target.handler)?.outputContentType;
    if (record.outcome === null && action === "output") {
      return sendIngressError(reply, 470, "the invocation exists but has not completed yet");
    }
    reply.header("x-restate-id", id);
    return sendOutcome(reply, record.outcome ?? (await awaitOutcome(reply, id!)), contentType);
  }

  async function completeAwakeable(request: FastifyRequest, reply: FastifyReply, rawId: string, action: "resolve" | "reject") {
    if (request.method !== "POST") return sendIngressError(reply, 405, "method not allowed");
    let parsed: ReturnType<typeof parseAwakeableId>;
    try {
      parsed = parseAwakeableId(rawId);
    } catch (error) {
      return sendIngressError(reply, 400, `bad awakeable id '${rawId}': ${toError(error).message}`);
    }
    const body = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
    const outcome: InvocationOutcome =
      action === "resolve" ? { kind: "value", value: body } : { kind: "failure", code: 500, message: body.toString("utf8") };
    await engine.send(parsed.invocationId, {
      kind: "notify",
      invocationId: parsed.invocationId,
      entry: encodeEntry(notifications.signal({ idx: parsed.signalIndex }, outcome)),
    });
    return reply.code(202).send();
  }

  // Only methods the route does not list (PROPFIND, …) reach no route: 405 in Restate's shape, not fastify's 404.
  app.setNotFoundHandler((_request, reply) => sendIngressError(reply, 405, "method not allowed"));

  app.setErrorHandler(forwardingErrorHandler(options.forwarder, "ingress", (thrown, request, reply) => {
    const error = toError(thrown);
    if (error instanceof CallerGoneError) return reply;
    if (error instanceof StetError) {
      // A refusal to retry (store unreachable, partition not led here): the body keeps Restate's shape,
      // so the stable code travels in a header for clients and operators that tell the causes apart.
      if (error.status === 503) reply.header("x-stet-error-code", error.code);
      return sendIngressError(reply, error.status, error.message);
    }
    if ((error as { code?: string }).code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return sendIngressError(reply, 413, `request body is larger than the limit of ${INGRESS_BODY_LIMIT_BYTES} bytes`);
    }
    // fastify refuses a body whose content-type is not `type/subtype` (empty, `garbage`), catch-all parser or not.
    if ((error as { code?: string }).code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return sendIngressError(reply, 415, `unsupported content-type ${JSON.stringify(request.headers["content-type"] ?? "")}: expected type/subtype`);
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return sendIngressError(reply, status, error.message);
    app.log.error({ err: error }, "ingress request failed");
    return sendIngressError(reply, 500, "internal error");
  }));
}

// Routes whose request has a body to read: POST only.
const POST_ONLY: ReadonlySet<string> = new Set(["awakeable", "lookup", "target-body"]);

const isWorkflowRun = (handler: IngressHandler): boolean =>
  handler.info.serviceType === "WORKFLOW" && handler.info.handlerType === "WORKFLOW";

function sendOutcome(reply: FastifyReply, outcome: InvocationOutcome, contentType: string | undefined): FastifyReply {
  if (outcome.kind === "failure") return sendIngressError(reply, outcome.code, outcome.message, "invocation");
  // An empty output goes without a content type, as Restate answers it.
  if (outcome.value.length === 0) return reply.code(200).send();
  reply.header("content-type", contentType ?? "application/json");
  return reply.code(200).send(Buffer.from(outcome.value.buffer, outcome.value.byteOffset, outcome.value.byteLength));
}

/**
 * Restate's input validation: a content type, when given, must be one the handler accepts (even with an
 * empty body); a non-empty body must come with one.
 */
function checkInput(body: Uint8Array, header: string | undefined, expected: string | undefined): string | undefined {
  const actual = mediaType(header);
  if (actual === "") return body.length === 0 ? undefined : "Empty content-type";
  if (expected !== undefined && !contentTypeMatches(actual, expected)) {
    return `Content-type '${actual}' does not match '${expected}'`;
  }
  return undefined;
}

function passthroughHeaders(request: FastifyRequest): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(request.headers)) {
    if (value === undefined || HOP_HEADERS.has(key)) continue;
    out.push([key, Array.isArray(value) ? value.join(", ") : value]);
  }
  return out;
}
