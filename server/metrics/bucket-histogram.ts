import { MetricsError, MetricsErrorCode } from "./metrics-errors.js";

/**
 * A histogram with fixed bucket bounds, as plain numbers (the engine observes into it without prom-client
 * loaded). Buckets are Prometheus's: bucket `le` counts observations ≤ its bound, cumulatively.
 */
export class BucketHistogram {
  readonly #bounds: readonly number[];
  /** Observations per bucket, not cumulative; the last one is above every bound (`+Inf`). */
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[]) {
    if (bounds.length === 0 || bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!))) {
      throw new MetricsError(MetricsErrorCode.BadBuckets, `histogram bounds must be finite and increasing, got [${bounds.join(", ")}]`);
    }
    this.#bounds = [...bounds];
    this.#counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.#bounds.length && value > this.#bounds[i]!) i++;
    this.#counts[i]!++;
    this.#sum += value;
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  get sum(): number {
    return this.#sum;
  }

  /** Cumulative counts by upper bound, `+Inf` last (equal to `count`). */
  buckets(): Array<{ readonly le: number | "+Inf"; readonly count: number }> {
    let running = 0;
    const out: Array<{ le: number | "+Inf"; count: number }> = this.#bounds.map((le, i) => {
      running += this.#counts[i]!;
      return { le, count: running };
    });
    out.push({ le: "+Inf", count: this.#count });
    return out;
  }
}
