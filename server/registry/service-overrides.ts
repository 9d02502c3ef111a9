import type { ServiceManifest } from "../../protocol/index.js";

/**
 * Settings changed through the admin API (`PATCH /services/{name}`), kept per service name apart from
 * the manifests: they apply to every revision of the service, present and future, until changed again.
 * Durations in ms. Absent: the manifest's value (or the default) applies.
 */
export interface ServiceOverrides {
  readonly public?: boolean;
  readonly idempotencyRetentionMs?: number;
  /** Workflows only. */
  readonly workflowCompletionRetentionMs?: number;
  readonly journalRetentionMs?: number;
  readonly inactivityTimeoutMs?: number;
  readonly abortTimeoutMs?: number;
}

const KEYS = [
  "public",
  "idempotencyRetentionMs",
  "workflowCompletionRetentionMs",
  "journalRetentionMs",
  "inactivityTimeoutMs",
  "abortTimeoutMs",
] as const satisfies readonly (keyof ServiceOverrides)[];

/** `patch` over `current`: fields the patch leaves undefined keep their current value. */
export function mergeOverrides(current: ServiceOverrides, patch: ServiceOverrides): ServiceOverrides {
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = patch[key] ?? current[key];
    if (value !== undefined) out[key] = value;
  }
  return out as ServiceOverrides;
}

/** Reads the stored JSON, keeping only well-typed known fields (a damaged row must not break loading). */
export function parseStoredOverrides(json: string): ServiceOverrides {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return {};
  }
  if (typeof raw !== "object" || raw === null) return {};
  const out: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = (raw as Record<string, unknown>)[key];
    if (key === "public" ? typeof value === "boolean" : typeof value === "number" && Number.isFinite(value) && value >= 0) out[key] = value;
  }
  return out as ServiceOverrides;
}

/**
 * The manifest with the overrides folded in as service-level settings, so every reader of the
 * definition (effective options, admin views, ingress visibility) sees them without knowing about
 * overrides. Handler-level settings still win over them, as they win over the manifest's service level.
 */
export function applyOverrides(definition: ServiceManifest, overrides: ServiceOverrides | undefined): ServiceManifest {
  if (overrides === undefined || Object.keys(overrides).length === 0) return definition;
  const o = overrides;
  return {
    ...definition,
    ...(o.public === undefined ? {} : { ingressPrivate: !o.public }),
    ...(o.idempotencyRetentionMs === undefined ? {} : { idempotencyRetention: o.idempotencyRetentionMs }),
    ...(o.journalRetentionMs === undefined ? {} : { journalRetention: o.journalRetentionMs }),
    ...(o.inactivityTimeoutMs === undefined ? {} : { inactivityTimeout: o.inactivityTimeoutMs }),
    ...(o.abortTimeoutMs === undefined ? {} : { abortTimeout: o.abortTimeoutMs }),
    // The completion retention lives on the workflow's run handler in the manifest.
    handlers:
      o.workflowCompletionRetentionMs === undefined || definition.ty !== "WORKFLOW"
        ? definition.handlers
        : definition.handlers.map((h) => (h.ty === "WORKFLOW" ? { ...h, workflowCompletionRetention: o.workflowCompletionRetentionMs } : h)),
  };
}
