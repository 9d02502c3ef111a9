/**
 * A counter per combination of label values, as plain numbers: the engine bumps it on its hot path
 * without prom-client loaded (prom-client is loaded on the first scrape; see prometheus-registry.ts),
 * and a scrape copies it out.
 */
export class LabeledCounter<L extends string> {
  readonly #series = new Map<string, { readonly labels: readonly string[]; value: number }>();

  constructor(readonly labelNames: readonly L[]) {}

  /** Adds `by` to the series of `values` (one value per label name, in order). */
  inc(values: readonly string[], by = 1): void {
    const key = values.join("\u0000");
    const series = this.#series.get(key);
    if (series === undefined) this.#series.set(key, { labels: values, value: by });
    else series.value += by;
  }

  /** The value of one series; 0 if it was never bumped. */
  get(values: readonly string[]): number {
    return this.#series.get(values.join("\u0000"))?.value ?? 0;
  }

  *series(): IterableIterator<{ readonly labels: Record<L, string>; readonly value: number }> {
    for (const { labels, value } of this.#series.values()) {
      const named = {} as Record<L, string>;
      this.labelNames.forEach((name, i) => (named[name] = labels[i] ?? ""));
      yield { labels: named, value };
    }
  }
}
