export { EngineStats, BATCH_SIZE_BUCKETS, COMMIT_SECONDS_BUCKETS } from "./engine-stats.js";
export { PrometheusEndpoint, type MetricsEndpoint } from "./metrics-endpoint.js";
export type { MetricsSources } from "./prometheus-registry.js";
export { metricsRoute } from "./metrics-route.js";
export { countIngressRequests } from "./ingress-hook.js";
export { ingressRouteKind, serviceAndHandler, type IngressRouteKind } from "./labels.js";
export { LabeledCounter } from "./labeled-counter.js";
export { BucketHistogram } from "./bucket-histogram.js";
export { MetricsError, MetricsErrorCode } from "./metrics-errors.js";
