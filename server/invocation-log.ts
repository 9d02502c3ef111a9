import type { Logger } from "pino";
import type { InvokerEvent } from "../invoker/index.js";

/**
 * Logs the invoker's events. Every line about an invocation carries `invocationId`, `target`
 * (`Svc/handler` or `Obj/key/handler`) and `attempt`, so one grep for an id finds its whole story.
 * Starts and ends are per invocation: debug (a disabled pino level is a no-op call on the hot path).
 */
export function logInvokerEvent(log: Logger, event: InvokerEvent): void {
  switch (event.type) {
    case "attempt-started":
      log.debug({ invocationId: event.invocationId, target: event.target, attempt: event.attempt }, "invocation attempt started");
      return;
    case "invocation-left":
      log.debug({ invocationId: event.invocationId, target: event.target, attempt: event.attempt, how: event.how }, "invocation left the invoker");
      return;
    case "attempt-failed": {
      const { type: _type, ...fields } = event;
      log.warn(fields, `invocation attempt failed; ${afterFailure(event)}`);
      return;
    }
    case "attempt-silent": {
      const { type: _type, ...fields } = event;
      log.warn(fields, `invocation attempt silent for ${seconds(event.silentMs)}; ${afterSilence(event)}`);
      return;
    }
    case "state":
      log.debug({ state: event.state }, "invoker state");
      return;
  }
}

function afterFailure(event: Extract<InvokerEvent, { type: "attempt-failed" }>): string {
  switch (event.then) {
    case "retry":
      return `retrying in ${seconds(event.retryInMs ?? 0)}`;
    case "paused":
      return "retries used up: invocation paused (resume it through the admin API)";
    case "killed":
      return "retries used up: invocation killed";
    case "fenced":
      return "the attempt was stale (a newer attempt or leader took over)";
    case "unrecorded":
      return `the failure could not be stored; retrying in ${seconds(event.retryInMs ?? 0)}`;
  }
}

function afterSilence(event: Extract<InvokerEvent, { type: "attempt-silent" }>): string {
  if (event.next === "asked-to-suspend") {
    return event.abortInMs === undefined
      ? "asked the service to suspend"
      : `asked the service to suspend; the attempt is cut in ${seconds(event.abortInMs)} unless it ends`;
  }
  return event.suspendInMs === undefined
    ? "still waiting (no inactivity timeout applies to this attempt)"
    : `the service is asked to suspend in ${seconds(event.suspendInMs)}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
