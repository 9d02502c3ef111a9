import { controlRefusal, type CommandResult, type ControlOp, type ControlRefusal, type InvocationRecord } from "../../partition/index.js";
import type { InvocationId } from "../../protocol/index.js";
import { AdminError, AdminErrorCode } from "./admin-errors.js";
import type { InvocationControl } from "./invocation-routes.js";
import { invocationUnavailable, OperationRefused } from "./operation-refused.js";
import { resumeDeployment, type DeploymentChoice, type DeploymentLookup } from "./deployment-choice.js";
import { refusalByState, restartAsNew, restartRefused, RESTART_FROM_START, type RestartRequest } from "./restart-as-new.js";

/**
 * One operator action on one invocation, decided and answered as Restate 1.7.12 does (each case checked
 * against the real server). Shared by `PATCH /invocations/{id}/{op}` and the batch route: a refusal is
 * an `OperationRefused`, which either route words its own way.
 */

export { OperationRefused } from "./operation-refused.js";

/** The operations of the admin API: the partition's control operations, and restart-as-new. */
export type InvocationOp = ControlOp | "restart-as-new";

/** What an operation needs: the engine, and the deployments a restart or resume may name. */
export interface Operations {
  readonly invocations: InvocationControl;
  readonly deployments: DeploymentLookup;
}

/** The choices of the operations that take some. */
export interface OperationRequest {
  /** How restart-as-new restarts (default: from the input, on the latest deployment). */
  readonly restart: RestartRequest;
  /** Where resume moves a paused or suspended invocation (default: it stays on its deployment). */
  readonly resumeOn: DeploymentChoice;
}

export const DEFAULT_OPERATION_REQUEST: OperationRequest = { restart: RESTART_FROM_START, resumeOn: { kind: "keep" } };

export const invocationNotFound = (id: string): AdminError => OperationRefused.notFound(id).toAdminError();

/**
 * What a route answers for an operation on an invocation in a given state: `refuse` without touching
 * the engine, `answer` a no-op success, or `apply` through the engine and answer `status` once applied.
 */
type Decision =
  | { readonly kind: "refuse"; readonly refusal: (id: string) => OperationRefused }
  | { readonly kind: "answer"; readonly status: 200 }
  | { readonly kind: "apply"; readonly status: 200 | 202 };

/** Each control refusal in Restate's words, after the id (`The invocation '<id>' was already completed.`). */
function controlRefused(op: ControlOp, reason: ControlRefusal, id: string): OperationRefused {
  const conflict = (text: string) => OperationRefused.decided(AdminErrorCode.InvocationStateConflict, id, text);
  switch (reason) {
    case "not-found":
      return OperationRefused.notFound(id);
    case "completed":
      return conflict(op === "resume" ? "is completed, cannot be resumed" : "was already completed");
    case "not-running":
      return conflict("is not running, cannot be paused");
    case "not-started":
      return OperationRefused.decided(AdminErrorCode.InvocationNotStarted, id, "is either inboxed or scheduled, cannot be resumed");
    case "not-completed":
      return conflict("is not yet completed");
  }
}

function decide(op: InvocationOp, record: InvocationRecord): Decision {
  const { status } = record;
  if (op === "restart-as-new") {
    const refused = refusalByState(record);
    if (refused !== undefined) return { kind: "refuse", refusal: (id) => restartRefused(refused, id) };
    return { kind: "apply", status: 200 };
  }
  // The partition refuses by the same rule when it applies the operation.
  const refused = controlRefusal(op, status);
  if (refused !== undefined) return { kind: "refuse", refusal: (id) => controlRefused(op, refused, id) };
  switch (op) {
    case "cancel":
      // One that never started ends at once (200); a started one is signalled and ends later (202).
      return { kind: "apply", status: status === "scheduled" || status === "inboxed" ? 200 : 202 };
    case "kill":
    case "purge":
      return { kind: "apply", status: 200 };
    case "pause":
      // Restate answers 200 for a suspended invocation and leaves it suspended: its wake-up still counts.
      if (status === "paused" || status === "suspended") return { kind: "answer", status: 200 };
      return { kind: "apply", status: 202 };
    case "resume":
      // A running invocation has nothing to resume; Restate answers 200 all the same.
      if (status === "invoked") return { kind: "answer", status: 200 };
      // Paused; and suspended or backing-off, which Restate wakes or retries at once (the engine decides).
      return { kind: "apply", status: 200 };
  }
}

/**
 * The refusal for an operation the engine did not apply: the invocation moved on (completed, purged)
 * after `decide` read it, and the engine refused by the same rule, so its state now says why.
 */
function refusal(ops: Operations, op: ControlOp, id: InvocationId, result: CommandResult): OperationRefused | AdminError {
  // No reason: the partition is not led here right now.
  if (result.refusal === undefined) return invocationUnavailable(id);
  const record = ops.invocations.getInvocation(id);
  const reason = record === undefined ? "not-found" : controlRefusal(op, record.status);
  return reason === undefined ? invocationUnavailable(id) : controlRefused(op, reason, id);
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
 * `request` carries the choices of restart-as-new and resume.
 */
export async function operate(ops: Operations, op: InvocationOp, id: InvocationId, request: OperationRequest = DEFAULT_OPERATION_REQUEST): Promise<Operated> {
  const record = ops.invocations.getInvocation(id);
  if (record === undefined) throw OperationRefused.notFound(id);
  const decision = decide(op, record);
  if (decision.kind === "refuse") throw decision.refusal(id);
  // Restate checks a resume's deployment before anything else of a started invocation: a running one
  // refuses a move, though it answers a plain resume with 200.
  const deployment = op === "resume" ? resumeDeployment(ops.deployments, record, request.resumeOn) : undefined;
  if (decision.kind === "answer") return { status: decision.status };
  if (op === "restart-as-new") {
    return { status: decision.status, newInvocationId: await restartAsNew(ops.invocations, ops.deployments, record, request.restart) };
  }
  const result = await ops.invocations.control(op, id, deployment);
  if (!result.applied) throw refusal(ops, op, id, result);
  return { status: decision.status };
}
