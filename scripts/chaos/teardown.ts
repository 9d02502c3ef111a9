/**
 * What a chaos run started, to be stopped in reverse order of starting, past failures, once: at the end
 * of the run, or from a SIGINT/SIGTERM of the driver, so that no stet, service or PostgreSQL outlives it.
 */
export class Teardown {
  readonly #steps: Array<() => unknown> = [];
  #running: Promise<void> | undefined;

  /** Registers a step; steps run last-registered first. */
  defer(step: () => unknown): void {
    this.#steps.push(step);
  }

  /** Runs every step (each at most once, a failing one does not stop the rest); idempotent. */
  run(): Promise<void> {
    this.#running ??= (async () => {
      for (let step = this.#steps.pop(); step !== undefined; step = this.#steps.pop()) {
        try {
          await step();
        } catch (error) {
          console.error("chaos: a cleanup step failed:", error);
        }
      }
    })();
    return this.#running;
  }
}
