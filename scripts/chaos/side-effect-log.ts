import fs from "node:fs";

/**
 * The load service's log (test/e2e/fixtures/load-service.mjs): "run <id> <token>" each time a ctx.run
 * body executed, "acked <id> <token>" each time the handler went on with a run result. A body may run
 * again when its attempt died before the result was stored (at least once, by design); the handler
 * observing two different results of one run is a duplicated side effect.
 */
export interface SideEffects {
  /** Invocation id -> how many times its run body executed. */
  readonly runs: ReadonlyMap<string, number>;
  /** Invocation id -> the distinct run results its handler went on with. */
  readonly observed: ReadonlyMap<string, ReadonlySet<string>>;
}

export function readSideEffects(file: string): SideEffects {
  const runs = new Map<string, number>();
  const observed = new Map<string, Set<string>>();
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  for (const line of text.split("\n")) {
    const [kind, id, token] = line.split(" ");
    if (id === undefined || token === undefined) continue;
    if (kind === "run") runs.set(id, (runs.get(id) ?? 0) + 1);
    if (kind === "acked") observed.set(id, (observed.get(id) ?? new Set()).add(token));
  }
  return { runs, observed };
}
