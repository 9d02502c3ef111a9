import { StetError } from "../../protocol/errors.js";

export const MetricsErrorCode = {
  /** A histogram was declared with bounds that are not finite and increasing (a bug). */
  BadBuckets: "STET_METRICS_BAD_BUCKETS",
  /** The metrics registry could not be built (prom-client failed to load); the next scrape tries again. */
  Unavailable: "STET_METRICS_UNAVAILABLE",
} as const;
export type MetricsErrorCode = (typeof MetricsErrorCode)[keyof typeof MetricsErrorCode];

export class MetricsError extends StetError {
  constructor(code: MetricsErrorCode, message: string, cause?: unknown) {
    super(code, message, { status: 500, cause });
  }
}
