import type { FastifyInstance } from "fastify";
import type { MetricsEndpoint } from "./metrics-endpoint.js";

/** `GET /metrics`: the Prometheus text exposition (`text/plain; version=0.0.4`). */
export function metricsRoute(app: FastifyInstance, endpoint: MetricsEndpoint): void {
  app.get("/metrics", async (_request, reply) => {
    const { contentType, body } = await endpoint.scrape();
    return reply.header("content-type", contentType).send(body);
  });
}
