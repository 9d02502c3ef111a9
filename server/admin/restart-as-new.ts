import type { InvocationRecord } from "../../partition/index.js";
import type { RestartRefusal } from "../../partition/index.js";
import { newDeploymentId, parseDeploymentId, type DeploymentId } from "../../protocol/index.js";
import type { DeploymentRegistry } from "../registry/index.js";
import { AdminErrorCode, type AdminError } from "./admin-errors.js";
import { invocationUnavailable, OperationRefused } from "./operation-refused.js";
import type { InvocationControl } from "./invocation-routes.js";

/**
 * Restart-as-new as Restate 1.7.12 does it (every answer below read from the real server): a completed
 * invocation starts again under a new id, with its journal copied up to entry `from` (0: the input
 * alone) and replayed to the service, so the steps in the copy are not run again.
 */

/**
 * Restate's `PatchDeploymentId`: which deployment the new invocation runs on. stet runs every
 * invocation on the deployment that serves its service now, so a choice is checked, not followed.
 */
export type DeploymentChoice = { readonly kind: "keep" } | { readonly kind: "latest" } | { readonly kind: "id"; readonly id: DeploymentId };

export interface RestartRequest {
  /** The last journal entry copied (commands and notifications count alike); 0 copies the input only. */
  readonly from: number;
  readonly deployment: DeploymentChoice;
}

/** What the batch route always asks for (Restate's batch has no `from`), and the single route by default. */
export const RESTART_FROM_START: RestartRequest = { from: 0, deployment: { kind: "latest" } };

const CHOICES: Readonly<Record<string, DeploymentChoice>> = {
  Keep: { kind: "keep" },
  keep: { kind: "keep" },
  Latest: { kind: "latest" },
  latest: { kind: "latest" },
};
const DEPLOYMENT_ID_LENGTH = newDeploymentId().length;

/** Parses a deployment choice; `invalid` words the error for the route (query parameter or body field). */
export function parseDeploymentChoice(raw: string, invalid: (reason: string) => AdminError): DeploymentChoice {
  const choice = CHOICES[raw];
  if (choice !== undefined) return choice;
  try {
    return { kind: "id", id: parseDeploymentId(raw) };
  } catch {
    // Restate's id decoder: "bad length" for an empty id or one of the wrong length, else "bad format".
    throw invalid(raw === "" || (raw.startsWith("dp_1") && raw.length !== DEPLOYMENT_ID_LENGTH) ? "bad length" : "bad format");
  }
}

/** Each refusal in Restate's words: the single route's message, then the batch item's. */
const REFUSALS: Readonly<Record<RestartRefusal, readonly [AdminErrorCode, (id: string) => string, (id: string) => string]>> = {
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
  "deployment-not-found": [
    AdminErrorCode.DeploymentNotFound,
    (id) => `The given deployment was not found when trying to restart as new the invocation '${id}'.`,
    (id) => `Deployment not found when restarting invocation '${id}'`,
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

/** The deployments a restart checks its choice against. */
export type DeploymentLookup = Pick<DeploymentRegistry, "getService" | "getDeployment">;

// Restate copies a prefix only of invocations on protocol v6 or later (ctx.rand changed in v6).
const MIN_PREFIX_PROTOCOL = 6;

/**
 * The checks Restate makes next, in its order: a prefix needs protocol v6 (stet pins no protocol to an
 * invocation, so the deployment serving the service now stands for the one it ran on), and a chosen
 * deployment must exist. A service no deployment serves any more is refused by the partition.
 */
function refusalByDeployment(deployments: DeploymentLookup, record: InvocationRecord, request: RestartRequest): RestartRefusal | undefined {
  const serving = deployments.getService(record.target.service);
  const protocol = serving === undefined ? undefined : deployments.getDeployment(serving.deploymentId)?.maxProtocolVersion;
  if (request.from > 0 && protocol !== undefined && protocol < MIN_PREFIX_PROTOCOL) return "unsupported";
  if (request.deployment.kind === "id" && deployments.getDeployment(request.deployment.id) === undefined) return "deployment-not-found";
  return undefined;
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
  const refused = refusalByDeployment(deployments, record, request);
  if (refused !== undefined) throw restartRefused(refused, record.id);
  const result = await invocations.restartAsNew(record.id, request.from);
  if (result.applied && result.started !== undefined) return result.started.invocationId;
  const reason = result.refusal?.reason;
  throw reason === undefined ? invocationUnavailable(record.id) : restartRefused(reason, record.id);
}
