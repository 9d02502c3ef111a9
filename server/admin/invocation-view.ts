import type { InvocationRecord, InvocationStatus, ServiceType } from "../../partition/index.js";

/**
 * One invocation as `GET /invocations/{id}` (stet's own route) prints it. Restate 1.7 has no such
 * route (its CLI and UI query the `sys_invocation` table over `POST /query`), so the fields are named
 * and formatted like that table's columns, for people who know Restate's SQL: timestamps as ISO
 * strings with milliseconds, failures as `[code] message`. Unlike Restate's JSON rows, unset columns
 * are present with `null`, so every response has the same shape.
 */
export interface InvocationJson {
  id: string;
  /** `Service/handler`, or `Object/key/handler` for virtual objects and workflows. */
  target: string;
  target_service_name: string;
  /** The object key or workflow id; null for plain services. */
  target_service_key: string | null;
  target_handler_name: string;
  target_service_ty: "service" | "virtual_object" | "workflow";
  /**
   * Restate's names: `pending` is an invocation waiting in its object's inbox (stet: inboxed),
   * `running` one ready for or in an attempt (stet: invoked).
   */
  status: "pending" | "scheduled" | "running" | "backing-off" | "suspended" | "paused" | "completed";
  invoked_by: "ingress" | "service";
  invoked_by_id: string | null;
  /** Target of the calling invocation, null when it is not known here (purged). */
  invoked_by_target: string | null;
  idempotency_key: string | null;
  /**
   * Failed attempts so far. Restate's column counts attempts started instead, so it reads one higher
   * while an attempt runs.
   */
  retry_count: number;
  last_failure: string | null;
  /** The deployment its attempts run on, and the protocol version; null until an attempt wrote to its journal. */
  pinned_deployment_id: string | null;
  pinned_service_protocol_version: number | null;
  journal_size: number;
  created_at: string;
  modified_at: string;
  /** When a delayed invocation starts; null when it was not delayed. */
  scheduled_start_at: string | null;
  completed_at: string | null;
  completion_result: "success" | "failure" | null;
  completion_failure: string | null;
}

const STATUS: Readonly<Record<InvocationStatus, InvocationJson["status"]>> = {
  scheduled: "scheduled",
  inboxed: "pending",
  invoked: "running",
  "backing-off": "backing-off",
  suspended: "suspended",
  paused: "paused",
  completed: "completed",
};

const SERVICE_TYPE: Readonly<Record<ServiceType, InvocationJson["target_service_ty"]>> = {
  SERVICE: "service",
  VIRTUAL_OBJECT: "virtual_object",
  WORKFLOW: "workflow",
};

/** Restate's target notation: the key sits between service and handler for keyed services. */
export function invocationTarget(record: Pick<InvocationRecord, "target" | "serviceType">): string {
  const { service, handler, key } = record.target;
  return record.serviceType === "SERVICE" ? `${service}/${handler}` : `${service}/${key}/${handler}`;
}

const timestamp = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** `callerTarget`: the target of the invocation that called this one, when it is still known. */
export function invocationJson(record: InvocationRecord, callerTarget?: string): InvocationJson {
  const { outcome } = record;
  return {
    id: record.id,
    target: invocationTarget(record),
    target_service_name: record.target.service,
    target_service_key: record.serviceType === "SERVICE" ? null : record.target.key,
    target_handler_name: record.target.handler,
    target_service_ty: SERVICE_TYPE[record.serviceType],
    status: STATUS[record.status],
    invoked_by: record.caller === null ? "ingress" : "service",
    invoked_by_id: record.caller?.id ?? null,
    invoked_by_target: callerTarget ?? null,
    idempotency_key: record.idempotencyKey,
    retry_count: record.retryCount,
    last_failure: record.lastFailure,
    pinned_deployment_id: record.pinned?.deploymentId ?? null,
    pinned_service_protocol_version: record.pinned?.protocolVersion ?? null,
    journal_size: record.journalLength,
    created_at: timestamp(record.createdAt)!,
    modified_at: timestamp(record.modifiedAt)!,
    scheduled_start_at: timestamp(record.executionTime),
    completed_at: timestamp(record.completedAt),
    completion_result: outcome === null ? null : outcome.kind === "failure" ? "failure" : "success",
    completion_failure: outcome?.kind === "failure" ? `[${outcome.code}] ${outcome.message}` : null,
  };
}
