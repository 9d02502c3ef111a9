import type { FastifyReply } from "fastify";

/**
 * Restate's ingress error body: `{code, message, source}` plus an `x-restate-error-source` header.
 * `source` is `ingress` for request errors and `invocation` for a handler's terminal failure.
 */
export function sendIngressError(
  reply: FastifyReply,
  code: number,
  message: string,
  source: "ingress" | "invocation" = "ingress",
): FastifyReply {
  const status = code >= 400 && code <= 599 ? code : 500;
  return reply
    .code(status)
    .header("x-restate-error-source", source)
    .header("content-type", "application/json")
    .send(JSON.stringify({ code, message, source }));
}
