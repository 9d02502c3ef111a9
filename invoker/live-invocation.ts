import type { Actor } from "xstate";
import type { attemptMachine } from "./attempt-machine.js";
import { failureCode } from "./failure-code.js";
import type { AttemptInput } from "./ports.js";
import type { RetryPolicy } from "./retry-policy.js";

/**
 * What the invoker knows of an invocation it holds right now: one row of `sys_invocation_state`
 * (Restate keeps this in its invoker's memory too, never in storage). Times are ms since the epoch.
 */
export interface LiveInvocationState {
  readonly id: string;
  /** An attempt is running now (not waiting in backoff). */
  readonly inFlight: boolean;
  /**
   * Attempts started, counting those of earlier runs (the invocation's stored retry count): 1 while the
   * first attempt runs, as Restate counts; while backing off, the attempt machine's next attempt number.
   */
  readonly retryCount: number;
  readonly lastStartAt: number | null;
  /** While backing off: when the next attempt is due. */
  readonly nextRetryAt: number | null;
  readonly lastAttemptDeploymentId: string | null;
  /** The SDK of the last attempt's deployment, as it names itself (`restate-sdk-typescript/1.x`). */
  readonly lastAttemptServer: string | null;
  readonly lastFailure: string | null;
  /** The failure's code as text (`500`, `http_503`, `no_deployment`; see failure-code.ts). */
  readonly lastFailureErrorCode: string | null;
}

/**
 * One invocation the invoker holds: its attempt machine, and what `sys_invocation_state` shows of it.
 * The attempt bookkeeping is a few field writes per attempt (the W1 hot path); a snapshot is built
 * only when a query asks for one.
 */
export class LiveInvocation {
  rerun = false;
  /** Writes a notification to the attempt's open stream; undefined between attempts. */
  deliver: ((frame: Uint8Array) => void) | undefined = undefined;
  inFlight = false;
  retryCount: number;
  lastStartAt: number | null = null;
  nextRetryAt: number | null = null;
  lastAttemptDeploymentId: string | null = null;
  lastAttemptServer: string | null = null;
  lastFailure: string | null = null;

  constructor(
    readonly partition: number,
    /** `Svc/handler` or `Obj/key/handler`, named in every event about the invocation. */
    readonly target: string,
    readonly actor: Actor<typeof attemptMachine>,
    /** The retry policy of the invocation's handler, as of its latest attempt. */
    public policy: RetryPolicy,
    /** The first attempt's input, read when the invocation was taken from the queue (read once, not twice). */
    public firstInput: AttemptInput | undefined,
  ) {
    this.retryCount = firstInput?.retryCount ?? 0;
  }

  attemptStarted(now: number): void {
    this.inFlight = true;
    this.retryCount++;
    this.lastStartAt = now;
    this.nextRetryAt = null;
  }

  /** The attempt is over, however it ended; what follows (backoff, suspension, the end) is not in flight. */
  attemptEnded(): void {
    this.inFlight = false;
  }

  /** The attempt failed; `retryAt` is when the next one is due, once the failure is recorded. */
  attemptFailed(failure: string, retryAt: number | null): void {
    this.lastFailure = failure;
    this.nextRetryAt = retryAt;
  }

  snapshot(id: string): LiveInvocationState {
    return {
      id,
      inFlight: this.inFlight,
      retryCount: this.retryCount,
      lastStartAt: this.lastStartAt,
      nextRetryAt: this.nextRetryAt,
      lastAttemptDeploymentId: this.lastAttemptDeploymentId,
      lastAttemptServer: this.lastAttemptServer,
      lastFailure: this.lastFailure,
      // Derived here, not per failure: failures are rare, but a query may never come.
      lastFailureErrorCode: this.lastFailure === null ? null : failureCode(this.lastFailure),
    };
  }
}
