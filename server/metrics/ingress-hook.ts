import type { FastifyInstance } from "fastify";
import type { EngineStats } from "./engine-stats.js";

/** Counts every answered ingress request by route kind and status (after the response: off the caller's path). */
export function countIngressRequests(app: FastifyInstance, stats: EngineStats): void {
  app.addHook("onResponse", (request, reply, done) => {
    stats.ingressResponse(request.method, request.url, reply.statusCode);
    done();
  });
}
