import type { ProtocolMode, RetryPolicyOnMaxAttempts, ServiceManifest } from "../../protocol/index.js";
import type { ResolvedHandler } from "./registry-types.js";

/** Values that apply when neither the handler nor its service sets an option. Durations in ms. */
export interface ServiceDefaults {
  readonly idempotencyRetentionMs: number;
  readonly workflowCompletionRetentionMs: number;
  readonly journalRetentionMs: number;
  readonly inactivityTimeoutMs: number;
  readonly abortTimeoutMs: number;
  readonly retryPolicy: {
    readonly initialIntervalMs: number;
    readonly exponentiationFactor: number;
    /** Null: retry forever. */
    readonly maxAttempts: number | null;
    readonly maxIntervalMs: number;
    readonly onMaxAttempts: RetryPolicyOnMaxAttempts;
  };
}

/** The defaults Restate 1.7.12 reports for a service that sets nothing (read from its admin API). */
export const RESTATE_SERVICE_DEFAULTS: ServiceDefaults = Object.freeze({
  idempotencyRetentionMs: 24 * 3600_000,
  workflowCompletionRetentionMs: 24 * 3600_000,
  journalRetentionMs: 24 * 3600_000,
  inactivityTimeoutMs: 60_000,
  abortTimeoutMs: 600_000,
  retryPolicy: Object.freeze({
    initialIntervalMs: 500,
    exponentiationFactor: 2,
    maxAttempts: 70,
    maxIntervalMs: 60_000,
    onMaxAttempts: "PAUSE" as const,
  }),
});

export interface EffectiveServiceOptions {
  readonly idempotencyRetentionMs: number;
  /** Workflows only. */
  readonly workflowCompletionRetentionMs?: number;
  readonly journalRetentionMs: number;
  /**
   * 0 in request/response mode: there the deployment cannot be asked to suspend, so an inactivity
   * timeout does not apply (Restate 1.7 reports `0s` for such services).
   */
  readonly inactivityTimeoutMs: number;
  readonly abortTimeoutMs: number;
  readonly enableLazyState: boolean;
  readonly retryPolicy: ServiceDefaults["retryPolicy"];
}

/** A service's options with defaults filled in, as the admin API reports them for the service. */
export function effectiveServiceOptions(
  service: ServiceManifest,
  protocolMode: ProtocolMode,
  defaults: ServiceDefaults = RESTATE_SERVICE_DEFAULTS,
): EffectiveServiceOptions {
  const workflowHandler = service.ty === "WORKFLOW" ? service.handlers.find((h) => h.ty === "WORKFLOW") : undefined;
  return {
    idempotencyRetentionMs: service.idempotencyRetention ?? defaults.idempotencyRetentionMs,
    ...(service.ty === "WORKFLOW"
      ? { workflowCompletionRetentionMs: workflowHandler?.workflowCompletionRetention ?? defaults.workflowCompletionRetentionMs }
      : {}),
    journalRetentionMs: service.journalRetention ?? defaults.journalRetentionMs,
    inactivityTimeoutMs: protocolMode === "REQUEST_RESPONSE" ? 0 : (service.inactivityTimeout ?? defaults.inactivityTimeoutMs),
    abortTimeoutMs: service.abortTimeout ?? defaults.abortTimeoutMs,
    enableLazyState: service.enableLazyState ?? false,
    retryPolicy: {
      initialIntervalMs: service.retryPolicyInitialInterval ?? defaults.retryPolicy.initialIntervalMs,
      exponentiationFactor: service.retryPolicyExponentiationFactor ?? defaults.retryPolicy.exponentiationFactor,
      maxAttempts: service.retryPolicyMaxAttempts ?? defaults.retryPolicy.maxAttempts,
      maxIntervalMs: service.retryPolicyMaxInterval ?? defaults.retryPolicy.maxIntervalMs,
      onMaxAttempts: service.retryPolicyOnMaxAttempts ?? defaults.retryPolicy.onMaxAttempts,
    },
  };
}

/** What applies to one invocation of a handler: its own settings, else its service's, else defaults. */
export function effectiveHandlerOptions(resolved: ResolvedHandler, defaults: ServiceDefaults = RESTATE_SERVICE_DEFAULTS): EffectiveServiceOptions {
  const s = effectiveServiceOptions(resolved.service, resolved.deployment.protocolMode, defaults);
  const h = resolved.handler;
  return {
    idempotencyRetentionMs: h.idempotencyRetention ?? s.idempotencyRetentionMs,
    ...(s.workflowCompletionRetentionMs === undefined
      ? {}
      : { workflowCompletionRetentionMs: h.workflowCompletionRetention ?? s.workflowCompletionRetentionMs }),
    journalRetentionMs: h.journalRetention ?? s.journalRetentionMs,
    inactivityTimeoutMs: resolved.deployment.protocolMode === "REQUEST_RESPONSE" ? 0 : (h.inactivityTimeout ?? s.inactivityTimeoutMs),
    abortTimeoutMs: h.abortTimeout ?? s.abortTimeoutMs,
    enableLazyState: h.enableLazyState ?? s.enableLazyState,
    retryPolicy: {
      initialIntervalMs: h.retryPolicyInitialInterval ?? s.retryPolicy.initialIntervalMs,
      exponentiationFactor: h.retryPolicyExponentiationFactor ?? s.retryPolicy.exponentiationFactor,
      maxAttempts: h.retryPolicyMaxAttempts ?? s.retryPolicy.maxAttempts,
      maxIntervalMs: h.retryPolicyMaxInterval ?? s.retryPolicy.maxIntervalMs,
      onMaxAttempts: h.retryPolicyOnMaxAttempts ?? s.retryPolicy.onMaxAttempts,
    },
  };
}
