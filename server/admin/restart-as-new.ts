import type { InvocationRecord } from "../../partition/index.js";
import type { RestartRefusal } from "../../partition/index.js";
import type { DeploymentId } from "../../protocol/index.js";
import { AdminErrorCode } from "./admin-errors.js";
import {
  chosenDeployment,
  deploymentNotFound,
  incompatibleDeployment,
  speaksPinnedVersion,
  type DeploymentChoice,
  type DeploymentLookup,
} from "./deployment-choice.js";
import { invocationUnavailable, OperationRefused } from "./operation-refused.js";
import type { InvocationControl } from "./invocation-routes.js";

/**
 * Restart-as-new as Restate 1.7.12 does it (every answer below read from the real server): a completed
 * invocation starts again under a new id, with its journal copied up to entry `from` (0: the input
 * alone) and replayed to the service, so the steps in the copy are not run again.
 */

export interface RestartRequest {
  /** The last journal entry copied (commands and notifications count alike); 0 copies the input only. */
  readonly from: number;
  readonly deployment: DeploymentChoice;
}

/** What the batch route always asks for (Restate's batch has no `from`), and the single route by default. */
export const RESTART_FROM_START: RestartRequest = { from: 0, deployment: { kind: "latest" } };

/** Each refusal in Restate's words: the single route's message, then the batch item's. */
const REFUSALS: Readonly<Record<Exclude<RestartRefusal, "deployment-not-found">, readonly [AdminErrorCode, (id: string) => string, (id: string) => string]>> = {
  "not-found": [AdminErrorCode.InvocationNotFound, (id) => `The requested invocation '${id}' does not exist`, (id) => `Invocation '${id}' not found`],
  "not-started": [
    AdminErrorCode.InvocationNotStarted,
    (id) => `The invocation '${id}' cannot be restarted because it's not running yet.`,
    (id) => `Invocation '${id}' cannot be restarted because it's not running yet`,
  ],
  "still-running": [AdminErrorCode.InvocationStateConflict, (id) => `The invocation '${id}' is still running.`, (id) => `Invocation '${id}' is still running`],
  "missing-input": [
    AdminErrorCode.InvocationInputGone,
    (id) =>
      `The invocation '${id}' cannot be restarted because the input is not available. This indicates that the journal was already purged, or not retained at all.`,
    (id) => `Invocation '${id}' cannot be restarted because the input is not available`,
  ],
  unsupported: [
    AdminErrorCode.RestartUnsupported,
    (id) =>
      `Restarting the invocation '${id}' is not supported. Restarting workflows is not supported, and restarting invocations created using the old service protocol.`,
    (id) => `Restarting invocation '${id}' is not supported`,
  ],
  "copy-range-invalid": [
    AdminErrorCode.JournalRangeInvalid,
    (id) => `The prefix of the journal '${id}' up to 'from' (included) contains some Commands without respective Completions.`,
    (id) => `Journal copy range invalid for invocation '${id}'`,
  ],
  "index-out-of-range": [
    AdminErrorCode.JournalRangeInvalid,
    (id) => `The given index is out of range of currently stored journal for invocation '${id}'.`,
    (id) => `Journal index out of range for invocation '${id}'`,
  ],
};

export function restartRefused(reason: RestartRefusal, id: string): OperationRefused {
  if (reason === "deployment-not-found") return deploymentNotFound(id, "restart as new");
  const [code, message, batchMessage] = REFUSALS[reason];
  return new OperationRefused(code, id, message(id), batchMessage(id));
}

/** Restate refuses by the invocation's state first, before it looks at `from` or the deployment. */
export function refusalByState(record: InvocationRecord): RestartRefusal | undefined {
  if (record.status === "scheduled" || record.status === "inboxed") return "not-started";
  if (record.status !== "completed") return "still-running";
  // Every handler of a workflow, the shared ones too.
  if (record.serviceType === "WORKFLOW") return "unsupported";
  return undefined;
}

// Restate copies a prefix only of invocations pinned to protocol v6 or later (ctx.rand changed in v6).
const MIN_PREFIX_PROTOCOL = 6;

/**
 * The checks Restate makes next, in its order: a prefix needs an invocation pinned to protocol v6 or
 * later; a chosen deployment must exist and speak the pinned version. Returns the deployment the new
 * invocation is pinned to instead of the original's (undefined: the original's, or none). Throws
 * `OperationRefused`. A service no deployment serves any more is refused by the partition.
 */
function restartDeployment(deployments: DeploymentLookup, record: InvocationRecord, request: RestartRequest): DeploymentId | undefined {
  const pin = record.pinned;
  if (request.from > 0 && (pin === null || pin.protocolVersion < MIN_PREFIX_PROTOCOL)) throw restartRefused("unsupported", record.id);
  if (request.deployment.kind === "keep") return undefined;
  const deployment = chosenDeployment(deployments, record.target.service, request.deployment);
  if (deployment === undefined) throw restartRefused("deployment-not-found", record.id);
  if (pin !== null && !speaksPinnedVersion(deployment, pin)) throw incompatibleDeployment(record.id, pin, deployment);
  return deployment.id;
}

/**
 * Restarts `record` as asked, once its state allows it (refusalByState). The partition checks the state
 * again, copies the journal and creates the new invocation in one transaction. Throws `OperationRefused`
 * for a refusal, `AdminError` when the partition is unavailable.
 */
export async function restartAsNew(
  invocations: InvocationControl,
  deployments: DeploymentLookup,
  record: InvocationRecord,
  request: RestartRequest,
): Promise<string> {
  const deployment = restartDeployment(deployments, record, request);
  const result = await invocations.restartAsNew(record.id, request.from, deployment);
  if (result.applied && result.started !== undefined) return result.started.invocationId;
  const reason = result.refusal?.reason;
  throw reason === undefined ? invocationUnavailable(record.id) : restartRefused(reason, record.id);
}
