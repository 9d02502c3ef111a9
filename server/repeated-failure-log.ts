import type { Logger } from "pino";

/** How often a failure that keeps repeating is logged again, in ms. */
const DEFAULT_EVERY_MS = 5_000;

/**
 * Logs failures that repeat while a dependency is down (PostgreSQL: lease retries, registry refreshes,
 * commits) without flooding the log: the first one of each kind at once, then at most one line per
 * `everyMs` with how many were left out meanwhile. `reset()` (the dependency answers again) makes the
 * next failure log at once.
 */
export class RepeatedFailureLog {
  readonly #log: Logger;
  readonly #everyMs: number;
  readonly #now: () => number;
  readonly #seen = new Map<string, { loggedAt: number; leftOut: number }>();

  constructor(log: Logger, options: { everyMs?: number; now?: () => number } = {}) {
    this.#log = log;
    this.#everyMs = options.everyMs ?? DEFAULT_EVERY_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Logs `error` at warn under `message`, unless a failure of the same message and code was logged within `everyMs`. */
  failed(message: string, error: Error): void {
    const kind = `${message}\0${(error as { code?: unknown }).code ?? error.name}`;
    const now = this.#now();
    const seen = this.#seen.get(kind);
    if (seen !== undefined && now - seen.loggedAt < this.#everyMs) {
      seen.leftOut++;
      return;
    }
    this.#log.warn({ err: error, ...(seen === undefined ? {} : { repeated: seen.leftOut + 1 }) }, message);
    this.#seen.set(kind, { loggedAt: now, leftOut: 0 });
  }

  reset(): void {
    this.#seen.clear();
  }
}
