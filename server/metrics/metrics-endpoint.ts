import type { Registry } from "prom-client";
import { toError } from "../../protocol/errors.js";
import { MetricsError, MetricsErrorCode } from "./metrics-errors.js";
import { buildPrometheusRegistry, type MetricsSources } from "./prometheus-registry.js";

/** What the admin app's `GET /metrics` serves. */
export interface MetricsEndpoint {
  scrape(): Promise<{ readonly contentType: string; readonly body: string }>;
}

/** The Prometheus endpoint; the registry (and prom-client) is built on the first scrape, not at startup. */
export class PrometheusEndpoint implements MetricsEndpoint {
  #registry: Promise<Registry> | undefined;

  constructor(private readonly sources: MetricsSources) {}

  async scrape(): Promise<{ readonly contentType: string; readonly body: string }> {
    this.#registry ??= buildPrometheusRegistry(this.sources).catch((error: unknown) => {
      this.#registry = undefined;
      throw new MetricsError(MetricsErrorCode.Unavailable, `metrics are unavailable: ${toError(error).message}`, error);
    });
    const registry = await this.#registry;
    return { contentType: registry.contentType, body: await registry.metrics() };
  }
}
