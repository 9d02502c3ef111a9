import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { maxHeaderSize, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { applyIngressCors } from "./cors.js";

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
    .send(ingressErrorBody(code, message, source));
}

const ingressErrorBody = (code: number, message: string, source: "ingress" | "invocation"): string =>
  JSON.stringify({ code, message, source });

/**
 * The 503 of a request that reaches the ingress port while stet starts or shuts down, written on the
 * raw response: it never reaches the app (and so never the engine).
 */
export function writeIngressUnavailable(response: ServerResponse, reason: "starting" | "stopping"): void {
  const message =
    reason === "starting"
      ? "stet is starting; send the request again in a moment"
      : "stet is shutting down and did not accept this request; send it again once stet is back";
  const body = ingressErrorBody(503, message, "ingress");
  response.writeHead(503, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-restate-error-source": "ingress",
  });
  response.end(body);
}

/**
 * Fastify's `frameworkErrors` for the ingress app: errors raised before any route runs (a path that is not
 * valid percent-encoding, a parameter over `maxParamLength`) answer in Restate's shape rather than fastify's.
 */
export function ingressFrameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (applyIngressCors(request, reply)) return;
  const status = typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void sendIngressError(reply, status, error.message);
}

/**
 * The ingress server's `clientError` handler: requests Node's HTTP parser rejects before fastify sees
 * them (headers over `http.maxHeaderSize`, 16 KiB by default; malformed request lines; a request not
 * received within the server's timeouts). Node answers those itself with a bare status; this answers in
 * Restate's shape and closes the connection, as Node does.
 */
export function ingressClientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer; a response already under way must not be interleaved.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === "ECONNRESET" || socket.destroyed || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "Request Header Fields Too Large", `request headers are larger than the limit of ${maxHeaderSize} bytes`]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "Request Timeout", "the request was not received in time"]
        : [400, "Bad Request", `malformed HTTP request${error.code === undefined ? "" : ` (${error.code})`}`];
  const body = ingressErrorBody(status, message, "ingress");
  socket.write(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      "connection: close\r\n" +
      "content-type: application/json\r\n" +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      "x-restate-error-source: ingress\r\n\r\n" +
      body,
  );
  socket.destroy();
}
