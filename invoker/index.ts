export * from "./ports.js";
export {
  Invoker,
  InvokerClosedError,
  type InvokerOptions,
  type ResolvedTarget,
} from "./invoker.js";
export type { AfterFailure, AttemptSubject, InvokerEvent, InvokerState, SilentAttemptAction } from "./invoker-events.js";
export { failureCode } from "./failure-code.js";
export type { LiveInvocationState } from "./live-invocation.js";
export { SegmentedQueue, type InvokeRequest } from "./segmented-queue.js";
export { DEFAULT_RETRY_POLICY, retryDelay, type RetryPolicy } from "./retry-policy.js";
export type { DeploymentTarget, Transport, AttemptStream } from "./transport/transport.js";
export { Http1Transport } from "./transport/http1-transport.js";
export { Http2Transport } from "./transport/http2-transport.js";
export { attemptMachine } from "./attempt-machine.js";
export { invokerLifecycleMachine } from "./lifecycle-machine.js";
