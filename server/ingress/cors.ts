import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * CORS on the ingress, as Restate 1.7 does it (tower-http's `CorsLayer::very_permissive()`, recorded
 * from restate-server 1.7.12):
 *
 * - every `OPTIONS` request is a preflight: 200, empty body, whatever the path, with
 *   `access-control-allow-origin` echoing `Origin`, `access-control-allow-methods` echoing
 *   `Access-Control-Request-Method` and `access-control-allow-headers` echoing
 *   `Access-Control-Request-Headers` (each only when the request header is present; no max-age);
 * - every other response (success or error) gets `access-control-allow-origin` echoing `Origin` (when
 *   present);
 * - every response gets `access-control-allow-credentials: true` and the `vary` below.
 *
 * Registered on the ingress app before the ingress routes, so its `onRequest` hook answers `OPTIONS`
 * before the catch-all route (which would say 405) runs.
 */
export const CORS_VARY = "origin, access-control-request-method, access-control-request-headers";

function setCorsHeaders(request: FastifyRequest, reply: FastifyReply): void {
  const origin = request.headers.origin;
  if (origin !== undefined) reply.header("access-control-allow-origin", origin);
  reply.header("access-control-allow-credentials", "true");
  reply.header("vary", CORS_VARY);
  if (request.method === "OPTIONS") {
    const method = request.headers["access-control-request-method"];
    const headers = request.headers["access-control-request-headers"];
    // Node joins repeated headers with ", "; tower-http echoes the first value only.
    if (typeof method === "string") reply.header("access-control-allow-methods", method.split(", ")[0]);
    if (typeof headers === "string") reply.header("access-control-allow-headers", headers);
  }
}

/** Strips what an error reply put on a preflight answer: Restate's preflight has no content-type. */
function asPreflight(reply: FastifyReply): void {
  reply.code(200);
  reply.removeHeader("content-type");
  reply.removeHeader("x-restate-error-source");
}

/**
 * For replies fastify sends without running hooks (its `frameworkErrors`: a path that is not valid
 * percent-encoding, a parameter over `maxParamLength`): adds the CORS headers, and answers `OPTIONS` as
 * a preflight. Returns true when it answered; the caller then sends nothing.
 */
export function applyIngressCors(request: FastifyRequest, reply: FastifyReply): boolean {
  setCorsHeaders(request, reply);
  if (request.method !== "OPTIONS") return false;
  asPreflight(reply);
  void reply.send();
  return true;
}

export async function ingressCors(app: FastifyInstance): Promise<void> {
  app.addHook("onRequest", async (request, reply) => {
    setCorsHeaders(request, reply);
    if (request.method === "OPTIONS") {
      asPreflight(reply);
      return reply.send();
    }
  });
  // Idempotent with onRequest; also normalizes a preflight answer whatever produced it.
  app.addHook("onSend", async (request, reply, payload) => {
    setCorsHeaders(request, reply);
    if (request.method === "OPTIONS") {
      asPreflight(reply);
      reply.header("content-length", "0");
      return "";
    }
    return payload;
  });
}

// Hooks apply to the app it is registered on (like fastify-plugin), not an encapsulated child.
(ingressCors as unknown as Record<symbol, boolean>)[Symbol.for("skip-override")] = true;
