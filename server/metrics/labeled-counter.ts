type Value = string | number;
type Node = Map<Value, Node | number>;

/**
 * A counter per combination of label values, as plain numbers: the engine bumps it on its hot path
 * without prom-client loaded (prom-client is loaded on the first scrape; see prometheus-registry.ts),
 * and a scrape copies it out. Series sit in a tree of maps, one level per label, so a bump looks up the
 * engine's own strings (hashes cached) and allocates nothing once a series exists: joining the values
 * into one key cost ~3× more per bump (a new string to build and hash each time).
 */
export class LabeledCounter<L extends string> {
  readonly #root: Node = new Map();

  constructor(readonly labelNames: readonly L[]) {}

  /**
   * Adds `by` to the series of `values` (one per label name, in order). A label takes numbers (written as
   * decimals) or strings, always the same: 200 and "200" would be two series.
   */
  inc(values: readonly Value[], by = 1): void {
    let node = this.#root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(values[i]!) as Node | undefined;
      if (next === undefined) node.set(values[i]!, (next = new Map()));
      node = next;
    }
    const leaf = values[last]!;
    node.set(leaf, ((node.get(leaf) as number | undefined) ?? 0) + by);
  }

  /** The value of one series; 0 if it was never bumped. */
  get(values: readonly Value[]): number {
    let node: Node | number | undefined = this.#root;
    for (const value of values) node = typeof node === "object" ? node.get(value) : undefined;
    return typeof node === "number" ? node : 0;
  }

  *series(): IterableIterator<{ readonly labels: Record<L, string>; readonly value: number }> {
    yield* this.#walk(this.#root, []);
  }

  *#walk(node: Node, prefix: readonly Value[]): IterableIterator<{ readonly labels: Record<L, string>; readonly value: number }> {
    for (const [value, child] of node) {
      const values = [...prefix, value];
      if (typeof child === "object") {
        yield* this.#walk(child, values);
        continue;
      }
      const labels = {} as Record<L, string>;
      this.labelNames.forEach((name, i) => (labels[name] = String(values[i] ?? "")));
      yield { labels, value: child };
    }
  }
}
