import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { InvocationOutcome, NewInvocation } from "../../partition/index.js";
import { parseInvocationId, type InvocationId } from "../../protocol/index.js";
import { StetError, toError } from "../../protocol/errors.js";
import { sendIngressError } from "./ingress-errors.js";
import { parseIngressPath, readHandlerCall } from "./ingress-path.js";

export type ServiceType = "SERVICE" | "VIRTUAL_OBJECT" | "WORKFLOW";

/** What ingress needs to know about registered services. */
export interface IngressRegistry {
  serviceNames(): string[];
  lookupService(name: string): { readonly type: ServiceType; hasHandler(handler: string): boolean; outputContentType(handler: string): string | undefined } | undefined;
}

/** What ingress needs of the engine: accept invocations durably and wait for their outcome. */
export interface IngressEngine {
  invoke(invocation: NewInvocation): Promise<InvocationId>;
  awaitCompletion(invocationId: InvocationId, signal?: AbortSignal): Promise<InvocationOutcome>;
  getInvocation(invocationId: string): { readonly outcome: InvocationOutcome | null; readonly target: { readonly service: string; readonly handler: string } } | undefined;
}

export interface IngressPluginOptions {
  readonly registry: IngressRegistry;
  readonly engine: IngressEngine;
}

export class ShuttingDownError extends StetError {
  constructor() {
    super("STET_SHUTTING_DOWN", "stet is shutting down; the invocation continues after restart", { status: 503 });
  }
}

// Headers that describe the HTTP exchange itself rather than the request; not passed to handlers.
const HOP_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade", "te", "trailer"]);

/** Restate's ingress routes: call, send, attach/output by invocation id, health. */
export async function ingressPlugin(app: FastifyInstance, options: IngressPluginOptions): Promise<void> {
  const { registry, engine } = options;

  // Callers waiting for an outcome. On close they get a 503 (the invocation itself is durable and
  // continues after restart) instead of a cut connection.
  const waiting = new Set<AbortController>();
  app.addHook("preClose", async () => {
    for (const controller of waiting) controller.abort(new ShuttingDownError());
  });

  async function awaitOutcome(request: FastifyRequest, id: InvocationId): Promise<InvocationOutcome> {
    const controller = new AbortController();
    const onClose = () => {
      if (!request.raw.complete || request.raw.destroyed) controller.abort(new Error("caller disconnected"));
    };
    request.raw.once("close", onClose);
    waiting.add(controller);
    try {
      return await engine.awaitCompletion(id, controller.signal);
    } finally {
      waiting.delete(controller);
      request.raw.off("close", onClose);
    }
  }

  // Bodies are passed to handlers untouched, whatever their content type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  app.route({
    method: ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"],
    url: "/*",
    handler: async (request, reply) => {
      const parsed = parseIngressPath(request.url);
      if (parsed === undefined) return sendIngressError(reply, 400, `bad path: ${request.url.split("?")[0]}`);
      if (parsed.kind === "health") return reply.send({ services: registry.serviceNames() });
      if (request.method !== "GET" && request.method !== "POST") {
        return sendIngressError(reply, 405, "method not allowed");
      }
      if (parsed.kind === "invocation") return attach(request, reply, parsed.invocationId, parsed.action);

      const service = registry.lookupService(parsed.service);
      if (service === undefined) {
        return sendIngressError(reply, 404, `service '${parsed.service}' not found, make sure to register the service before calling it.`);
      }
      const call = readHandlerCall(parsed.rest, service.type !== "SERVICE");
      if (call === undefined) return sendIngressError(reply, 400, `bad path: ${request.url.split("?")[0]}`);
      if (!service.hasHandler(call.handler)) {
        return sendIngressError(
          reply,
          404,
          `the service '${parsed.service}' exists, but the handler '${call.handler}' was not found, check that the handler exists in the latest registered service version.`,
        );
      }
      if (service.type !== "SERVICE") {
        return sendIngressError(reply, 501, `calling ${service.type.toLowerCase().replace("_", " ")}s is not supported by this stet version yet`);
      }
      if (request.headers["idempotency-key"] !== undefined) {
        return sendIngressError(reply, 501, "the idempotency-key header is not supported by this stet version yet");
      }
      if ((request.query as Record<string, unknown>)["delay"] !== undefined) {
        return sendIngressError(reply, 501, "delayed sends are not supported by this stet version yet");
      }

      const invocationId = await engine.invoke({
        target: { service: parsed.service, handler: call.handler, key: call.key },
        body: (request.body as Buffer | undefined) ?? new Uint8Array(),
        headers: passthroughHeaders(request),
      });
      reply.header("x-restate-id", invocationId);
      if (call.send) {
        return reply.code(202).header("content-type", "application/json").send(JSON.stringify({ invocationId, status: "Accepted" }));
      }
      const outcome = await awaitOutcome(request, invocationId);
      return sendOutcome(reply, outcome, service.outputContentType(call.handler));
    },
  });

  async function attach(request: FastifyRequest, reply: FastifyReply, rawId: string, action: "attach" | "output") {
    let id: InvocationId;
    try {
      id = parseInvocationId(rawId);
    } catch (error) {
      return sendIngressError(reply, 400, `bad invocation id '${rawId}': ${toError(error).message}`);
    }
    const record = engine.getInvocation(id);
    if (record === undefined) return sendIngressError(reply, 404, "invocation not found");
    reply.header("x-restate-id", id);
    const contentType = registry.lookupService(record.target.service)?.outputContentType(record.target.handler);
    if (record.outcome !== null) return sendOutcome(reply, record.outcome, contentType);
    if (action === "output") return sendIngressError(reply, 470, "invocation not ready");
    return sendOutcome(reply, await awaitOutcome(request, id), contentType);
  }

  app.setErrorHandler((thrown, _request, reply) => {
    const error = toError(thrown);
    if (error instanceof StetError) return sendIngressError(reply, error.status, error.message);
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return sendIngressError(reply, status, error.message);
    app.log.error({ err: error }, "ingress request failed");
    return sendIngressError(reply, 500, "internal error");
  });
}

function sendOutcome(reply: FastifyReply, outcome: InvocationOutcome, contentType: string | undefined): FastifyReply {
  if (outcome.kind === "failure") return sendIngressError(reply, outcome.code, outcome.message, "invocation");
  if (outcome.value.length > 0) reply.header("content-type", contentType ?? "application/json");
  return reply.code(200).send(Buffer.from(outcome.value.buffer, outcome.value.byteOffset, outcome.value.byteLength));
}

function passthroughHeaders(request: FastifyRequest): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(request.headers)) {
    if (value === undefined || HOP_HEADERS.has(key)) continue;
    out.push([key, Array.isArray(value) ? value.join(", ") : value]);
  }
  return out;
}
