import type { ResolvedTarget } from "../invoker/index.js";
import type { HandlerInfo, ServiceResolver } from "../partition/index.js";
import { effectiveHandlerType } from "../protocol/index.js";
import type { IngressRegistry } from "./ingress/ingress-plugin.js";
import { deploymentTarget, effectiveHandlerOptions, RESTATE_SERVICE_DEFAULTS, type DeploymentRegistry, type ResolvedHandler } from "./registry/index.js";

export interface RegistryViews extends IngressRegistry, ServiceResolver {
  /**
   * Where the invoker sends an attempt of `service/handler`, and how it retries: the latest deployment of
   * the service, or the one the invocation is pinned to (undefined when that one is gone).
   */
  resolveTarget(service: string, handler: string, pinnedDeploymentId?: string): ResolvedTarget | undefined;
}

/** The registry as ingress, the partitions and the invoker see it: map lookups, no SQL. */
export function registryViews(registry: DeploymentRegistry): RegistryViews {
  // Derived once per resolved handler: the registry hands out the same frozen objects until a write
  // replaces its snapshot, and these lookups run on every call, attempt and failure.
  const derived = new WeakMap<ResolvedHandler, { readonly info: HandlerInfo; readonly target: ResolvedTarget }>();
  const derive = (resolved: ResolvedHandler) => {
    const known = derived.get(resolved);
    if (known !== undefined) return known;
    const options = effectiveHandlerOptions(resolved);
    const handlerType = effectiveHandlerType(resolved.serviceType, resolved.handlerType) ?? null;
    const isWorkflowRun = resolved.serviceType === "WORKFLOW" && handlerType === "WORKFLOW";
    const policy = options.retryPolicy;
    const views = {
      info: {
        serviceType: resolved.serviceType,
        handlerType,
        // How long a finished invocation can still be attached to: Restate keeps it for the journal
        // retention, and a workflow's result for its completion retention.
        retentionMs: isWorkflowRun
          ? (options.workflowCompletionRetentionMs ?? options.journalRetentionMs)
          : Math.max(options.journalRetentionMs, options.idempotencyRetentionMs),
        maxAttempts: policy.maxAttempts,
        onMaxAttempts: policy.onMaxAttempts === "KILL" ? "KILL" : "PAUSE",
      } satisfies HandlerInfo,
      target: {
        target: resolved.deployment,
        inactivityTimeoutMs: options.inactivityTimeoutMs,
        abortTimeoutMs: options.abortTimeoutMs,
        retryPolicy: {
          initialIntervalMs: policy.initialIntervalMs,
          factor: policy.exponentiationFactor,
          maxIntervalMs: policy.maxIntervalMs,
        },
      } satisfies ResolvedTarget,
    };
    derived.set(resolved, views);
    return views;
  };
  return {
    serviceNames: () => registry.listServices().map((s) => s.name),
    lookupService: (name) => {
      const service = registry.getService(name);
      if (service === undefined) return undefined;
      return {
        type: service.ty,
        handler: (handler) => {
          const resolved = registry.resolveHandler(name, handler);
          if (resolved === null) return undefined;
          return {
            info: derive(resolved).info,
            inputContentType: resolved.handler.input?.contentType,
            outputContentType: resolved.handler.output?.contentType,
            public: resolved.public,
          };
        },
      };
    },
    resolve: (service, handler, pinnedDeploymentId) => {
      const pinned = pinnedDeploymentId === undefined ? null : registry.resolveHandlerIn(pinnedDeploymentId, service, handler);
      const resolved = pinned ?? registry.resolveHandler(service, handler);
      return resolved === null ? undefined : derive(resolved).info;
    },
    resolveTarget: (service, handler, pinnedDeploymentId) => {
      if (pinnedDeploymentId === undefined) {
        const resolved = registry.resolveHandler(service, handler);
        return resolved === null ? undefined : derive(resolved).target;
      }
      const own = registry.resolveHandlerIn(pinnedDeploymentId, service, handler);
      if (own !== null) return derive(own).target;
      const deployment = registry.getDeployment(pinnedDeploymentId);
      if (deployment === undefined) return undefined;
      // The pinned deployment no longer declares the handler (a PATCH replaced its services): Restate
      // still sends the attempt there, with the default options.
      return { target: deploymentTarget(deployment), ...DEFAULT_ATTEMPTS };
    },
  };
}

/** How attempts run when their deployment does not declare the handler: Restate's defaults. */
const DEFAULT_ATTEMPTS: Omit<ResolvedTarget, "target"> = {
  inactivityTimeoutMs: RESTATE_SERVICE_DEFAULTS.inactivityTimeoutMs,
  abortTimeoutMs: RESTATE_SERVICE_DEFAULTS.abortTimeoutMs,
  retryPolicy: {
    initialIntervalMs: RESTATE_SERVICE_DEFAULTS.retryPolicy.initialIntervalMs,
    factor: RESTATE_SERVICE_DEFAULTS.retryPolicy.exponentiationFactor,
    maxIntervalMs: RESTATE_SERVICE_DEFAULTS.retryPolicy.maxIntervalMs,
  },
};
