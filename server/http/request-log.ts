import { LogController, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { forwardingOf } from "../routing/index.js";

/**
 * Health checks: ingress `/restate/health`, admin `/health` (its `/vN/` prefix is already rewritten away,
 * but the pattern takes it too). Probes poll these every few seconds: their lines are debug.
 */
const HEALTH_PATH = /^\/(?:restate\/|v\d+\/)?health\/?(?:\?|$)/;

/**
 * How both HTTP apps log requests: one line per request, written when the response is finished
 * (method, url, status, response time; the request id comes from the request's child logger), at info,
 * or debug for health checks, or error when the response failed. Fastify's own two lines per request
 * ("incoming request", "request completed") are gone, and so are its extra info lines for 4xx answers
 * and unknown routes: the status on the one line tells them.
 *
 * A LogController (fastify 5's seam for its request log lines; its top-level `disableRequestLogging`
 * option is deprecated) rather than an onResponse hook: fastify already calls `requestCompleted` after
 * every response, so this costs no extra hook run per request.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const log = reply.log;
    if (error) {
      const fields = requestFields(request, reply);
      // A client that goes away before a streamed response ends (a /query it stopped reading) is not
      // the server's failure.
      if ((error as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE") log.info(fields, "client left before the response ended");
      else log.error({ ...fields, err: error }, "request errored");
      return;
    }
    // Checked first: at level warn and above nothing is built per request. (Fastify's stand-in logger,
    // when an app is built without one, has no isLevelEnabled; its methods do nothing anyway.)
    if ((log as Partial<Pick<Logger, "isLevelEnabled">>).isLevelEnabled?.("info") === false) return;
    const fields = requestFields(request, reply);
    if (HEALTH_PATH.test(request.url)) log.debug(fields, "request completed");
    else log.info(fields, "request completed");
  }

  override defaultErrorLog(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
    // A 4xx is the client's mistake and shows on the request line; a 5xx is ours and keeps its stack.
    if (reply.statusCode >= 500) reply.log.error({ err: error }, error.message);
  }

  override routeNotFound(): void {}
}

/** A request's line: method, url, status, response time, and the node and partition it was forwarded to. */
function requestFields(request: FastifyRequest, reply: FastifyReply) {
  const fields = { method: request.method, url: request.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime };
  const forwarded = forwardingOf(request);
  return forwarded === undefined ? fields : { ...fields, ...forwarded };
}

/** One instance is shared by both apps: it holds no per-app state. */
export const requestLogController = new RequestLogController();
