import type { InvocationId } from "../protocol/index.js";

export type InvokerState = "running" | "draining" | "aborting" | "closed";

/**
 * Who an event is about: every event about one invocation carries these, so every log line about an
 * invocation names its id, its target and its attempt (the user's issue 12: a failed attempt's line
 * named neither service nor handler).
 */
export interface AttemptSubject {
  readonly invocationId: InvocationId;
  /** `Svc/handler`, or `Obj/key/handler` for virtual objects and workflows (as Restate shows targets). */
  readonly target: string;
  /** The attempt's number: the invocation's retry count when the attempt began (0 = first). */
  readonly attempt: number;
}

/**
 * What stet does with an invocation after one of its attempts failed: retry after `retryInMs`; nothing
 * more because its retries are used up (`paused` or `killed` per its policy); nothing because the
 * attempt was stale (`fenced`); or retry because the failure could not be stored (`unrecorded`).
 */
export type AfterFailure = "retry" | "paused" | "killed" | "fenced" | "unrecorded";

/**
 * What stet does about an attempt that has been silent: `asked-to-suspend` (its inactivity timeout
 * passed: stet ended its side of the stream and cuts it after `abortInMs`), or `waiting` (nothing yet:
 * it asks the service to suspend after `suspendInMs`, or never for a request/response attempt).
 */
export type SilentAttemptAction =
  | { readonly next: "asked-to-suspend"; readonly abortInMs?: number }
  | { readonly next: "waiting"; readonly suspendInMs?: number };

export type InvokerEvent =
  | ({ readonly type: "attempt-started" } & AttemptSubject)
  | ({
      readonly type: "attempt-failed";
      readonly failure: string;
      /** The failure's short code (invoker/failure-code.ts): a service's error code, or what stet saw. */
      readonly code: string;
      readonly then: AfterFailure;
      /** For `retry`: the backoff before the next attempt, in ms. */
      readonly retryInMs?: number;
    } & AttemptSubject)
  | ({ readonly type: "attempt-silent"; readonly silentMs: number } & SilentAttemptAction & AttemptSubject)
  | ({ readonly type: "invocation-left"; readonly how: string } & AttemptSubject)
  | { readonly type: "state"; readonly state: InvokerState };

/** The target as one string; `keyed` is false for plain services, whose key is empty. */
export function targetLabel(service: string, handler: string, key: string, keyed: boolean): string {
  return keyed ? `${service}/${key}/${handler}` : `${service}/${handler}`;
}
