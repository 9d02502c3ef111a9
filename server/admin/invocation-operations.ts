import type { CommandResult, ControlOp, InvocationStatus } from "../../partition/index.js";
import type { InvocationId } from "../../protocol/index.js";
import { AdminError, AdminErrorCode } from "./admin-errors.js";
import type { InvocationControl } from "./invocation-routes.js";

/**
 * One operator action on one invocation, decided and answered as Restate 1.7.12 does (each case checked
 * against the real server). Shared by `PATCH /invocations/{id}/{op}` and the batch route: a refusal is
 * an `OperationRefused`, which either route words its own way.
 */

/** Why an operation was refused, worded for the single route and for a batch's `failed` item. */
export class OperationRefused extends Error {
  constructor(
    readonly code: AdminErrorCode,
    readonly invocationId: string,
    /** `The invocation '<id>' was already completed.` */
    message: string,
    /** `Invocation '<id>' was already completed` */
    readonly batchMessage: string,
  ) {
    super(message);
    this.name = "OperationRefused";
  }

  /** The error of the single-invocation route. */
  toAdminError(): AdminError {
    return new AdminError(this.code, this.message);
  }

  static notFound(id: string): OperationRefused {
    return new OperationRefused(AdminErrorCode.InvocationNotFound, id, `The requested invocation '${id}' does not exist`, `Invocation '${id}' not found`);
  }

  /** A refusal decided from the state: `reason` follows the id (`was already completed`). */
  static decided(code: AdminErrorCode, id: string, reason: string): OperationRefused {
    return new OperationRefused(code, id, `The invocation '${id}' ${reason}.`, `Invocation '${id}' ${reason}`);
  }

  /** A refusal of the engine, in its own words. */
  static byEngine(code: AdminErrorCode, id: string, message: string): OperationRefused {
    return new OperationRefused(code, id, `The invocation '${id}': ${message}`, `Invocation '${id}': ${message}`);
  }
}

export const invocationNotFound = (id: string): AdminError => OperationRefused.notFound(id).toAdminError();

/**
 * What a route answers for an operation on an invocation in a given state: `refuse` without touching
 * the engine, `answer` a no-op success, or `apply` through the engine and answer `status` once applied.
 */
type Decision =
  | { readonly kind: "refuse"; readonly code: AdminErrorCode; readonly reason: string }
  | { readonly kind: "answer"; readonly status: 200 }
  | { readonly kind: "apply"; readonly status: 200 | 202 };

const conflict = (reason: string): Decision => ({ kind: "refuse", code: AdminErrorCode.InvocationStateConflict, reason });
const ALREADY_COMPLETED = conflict("was already completed");
const NOT_RUNNING = conflict("is not running, cannot be paused");
const NOT_STARTED: Decision = { kind: "refuse", code: AdminErrorCode.InvocationNotStarted, reason: "is either inboxed or scheduled, cannot be resumed" };

function decide(op: ControlOp, status: InvocationStatus): Decision {
  const notStarted = status === "scheduled" || status === "inboxed";
  switch (op) {
    case "cancel":
      if (status === "completed") return ALREADY_COMPLETED;
      // One that never started ends at once (200); a started one is signalled and ends later (202).
      return { kind: "apply", status: notStarted ? 200 : 202 };
    case "kill":
      if (status === "completed") return ALREADY_COMPLETED;
      return { kind: "apply", status: 200 };
    case "purge":
      if (status !== "completed") return conflict("is not yet completed");
      return { kind: "apply", status: 200 };
    case "pause":
      if (status === "completed" || notStarted) return NOT_RUNNING;
      // Restate answers 200 for a suspended invocation and leaves it suspended: its wake-up still counts.
      if (status === "paused" || status === "suspended") return { kind: "answer", status: 200 };
      return { kind: "apply", status: 202 };
    case "resume":
      if (status === "completed") return conflict("is completed, cannot be resumed");
      if (notStarted) return NOT_STARTED;
      // A running invocation has nothing to resume; Restate answers 200 all the same.
      if (status === "invoked") return { kind: "answer", status: 200 };
      // Paused; and suspended or backing-off, which Restate wakes or retries at once (the engine decides).
      return { kind: "apply", status: 200 };
    case "restart-as-new":
      if (status !== "completed") return conflict("is not completed yet, cannot be restarted");
      return { kind: "apply", status: 200 };
  }
}

/** Turns a result the engine did not apply into the refusal the routes answer. */
function refusal(id: string, result: CommandResult): OperationRefused | AdminError {
  const { refusal } = result;
  if (refusal === undefined) {
    return new AdminError(AdminErrorCode.InvocationUnavailable, `The invocation '${id}' could not be reached right now; retry later.`);
  }
  if (refusal.status === 404) return OperationRefused.notFound(id);
  if (refusal.status === 425) return OperationRefused.byEngine(AdminErrorCode.InvocationNotStarted, id, refusal.message);
  // The engine refuses only unknown ids (404) and states that forbid the operation (409).
  return OperationRefused.byEngine(AdminErrorCode.InvocationStateConflict, id, refusal.message);
}

export interface Operated {
  /** The status the single route answers. */
  readonly status: 200 | 202;
  /** For restart-as-new: the new invocation. */
  readonly newInvocationId?: string;
}

/**
 * Applies `op` to the invocation `id`, deciding on its state read now. Should the invocation move on
 * before the command applies, the engine checks again: it refuses (thrown as such) or applies what still
 * makes sense. Throws `OperationRefused` for a refusal, `AdminError` when the partition is unavailable.
 */
export async function operate(invocations: InvocationControl, op: ControlOp, id: InvocationId): Promise<Operated> {
  const record = invocations.getInvocation(id);
  if (record === undefined) throw OperationRefused.notFound(id);
  const decision = decide(op, record.status);
  if (decision.kind === "refuse") throw OperationRefused.decided(decision.code, id, decision.reason);
  if (decision.kind === "answer") return { status: decision.status };
  const result = await invocations.control(op, id);
  if (!result.applied) throw refusal(id, result);
  if (op === "restart-as-new") {
    if (result.started === undefined) throw refusal(id, result);
    return { status: decision.status, newInvocationId: result.started.invocationId };
  }
  return { status: decision.status };
}
