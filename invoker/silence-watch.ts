import type { SilentAttemptAction } from "./invoker-events.js";

/** What stet does about a silent attempt. Durations in ms; 0 = never. */
export interface SilenceWatchOptions {
  /** Silence after which a warning is reported (once per silence; the service speaking re-arms it). */
  readonly warnAfterMs: number;
  /**
   * Silence after which the service is asked to suspend (Restate's inactivity timeout; bidirectional
   * streams only), counted from the response on: before it there is no stream to end.
   */
  readonly suspendAfterMs: number;
  /** Time an attempt asked to suspend gets before it is cut (Restate's abort timeout). */
  readonly abortAfterMs: number;
  /** Whether stet can still write to the stream (an ended stream cannot be asked to suspend). */
  readonly writable: () => boolean;
  readonly askToSuspend: () => void;
  readonly abort: () => void;
  readonly onSilent: (silentMs: number, action: SilentAttemptAction) => void;
}

/**
 * The timers of one attempt's silence: a warning, the suspension request and the abort. One timer at a
 * time, armed for the nearest deadline; hearing from the service only records the time (`Date.now()`,
 * the invoker's clock, so fake timers drive it), and a timer that fires early re-arms for what is left.
 * That is cheaper per frame than the clearTimeout + setTimeout it replaces, and adds no timer per frame.
 */
export class SilenceWatch {
  readonly #o: SilenceWatchOptions;
  #lastHeard = Date.now();
  #timer: NodeJS.Timeout | undefined;
  /** When `#timer` fires; a later deadline keeps it (it fires early and re-arms for what is left). */
  #timerAt = 0;
  #abortTimer: NodeJS.Timeout | undefined;
  #abortAt = 0;
  #warned = false;
  #suspendArmed = false;
  #askedToSuspend = false;
  #closed = false;

  constructor(options: SilenceWatchOptions) {
    this.#o = options;
    this.#arm();
  }

  /** The service answered: from now on its silence also leads to a suspension request. */
  responded(): void {
    this.#suspendArmed = this.#o.suspendAfterMs > 0;
    this.#lastHeard = Date.now();
    this.#warned = false;
    this.#arm();
  }

  /** The service sent something. Per frame: keep it cheap. */
  heard(): void {
    this.#lastHeard = Date.now();
    this.#warned = false;
    // Only after a warning with nothing else left to watch is no timer armed.
    if (this.#timer === undefined) this.#arm();
  }

  clear(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#abortTimer);
  }

  #deadline(): number | undefined {
    let at: number | undefined;
    if (!this.#warned && this.#o.warnAfterMs > 0) at = this.#lastHeard + this.#o.warnAfterMs;
    if (this.#suspendArmed && !this.#askedToSuspend) {
      const suspendAt = this.#lastHeard + this.#o.suspendAfterMs;
      at = at === undefined ? suspendAt : Math.min(at, suspendAt);
    }
    return at;
  }

  #arm(): void {
    const at = this.#deadline();
    if (this.#closed || at === undefined) return;
    if (this.#timer !== undefined) {
      if (this.#timerAt <= at) return;
      clearTimeout(this.#timer);
    }
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - Date.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    const silentMs = Date.now() - this.#lastHeard;
    if (this.#suspendArmed && !this.#askedToSuspend && silentMs >= this.#o.suspendAfterMs && !this.#o.writable()) {
      // A stream stet can no longer write to cannot be asked to suspend: it is left to end on its own.
      this.#suspendArmed = false;
    }
    if (this.#suspendArmed && !this.#askedToSuspend && silentMs >= this.#o.suspendAfterMs) {
      this.#askedToSuspend = true;
      this.#o.askToSuspend();
      const abortMs = this.#o.abortAfterMs;
      if (abortMs > 0) {
        this.#abortAt = Date.now() + abortMs;
        this.#abortTimer = setTimeout(this.#o.abort, abortMs);
      }
    }
    if (!this.#warned && this.#o.warnAfterMs > 0 && silentMs >= this.#o.warnAfterMs) {
      this.#warned = true;
      this.#o.onSilent(silentMs, this.#action(silentMs));
    }
    this.#arm();
  }

  #action(silentMs: number): SilentAttemptAction {
    if (this.#askedToSuspend) {
      return this.#abortTimer === undefined ? { next: "asked-to-suspend" } : { next: "asked-to-suspend", abortInMs: Math.max(0, this.#abortAt - Date.now()) };
    }
    if (this.#suspendArmed) return { next: "waiting", suspendInMs: Math.max(0, this.#o.suspendAfterMs - silentMs) };
    return { next: "waiting" };
  }
}
