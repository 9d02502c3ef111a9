import type { DeploymentPin } from "../../invoker/index.js";
import type { InvocationRecord } from "../../partition/index.js";
import { newDeploymentId, parseDeploymentId, type DeploymentId } from "../../protocol/index.js";
import type { DeploymentRecord, DeploymentRegistry } from "../registry/index.js";
import { AdminErrorCode, type AdminError } from "./admin-errors.js";
import { OperationRefused } from "./operation-refused.js";

/**
 * Restate's `PatchDeploymentId`: which deployment a resumed or restarted invocation runs on. `keep` leaves
 * its pin; `latest` and an id move it (checked against the registry and the pinned protocol version, as
 * restate-server 1.7.12 checks them; every wording below read from it).
 */
export type DeploymentChoice = { readonly kind: "keep" } | { readonly kind: "latest" } | { readonly kind: "id"; readonly id: DeploymentId };

/** The deployments a choice is checked against (the registry). */
export type DeploymentLookup = Pick<DeploymentRegistry, "getService" | "getDeployment">;

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

/** The deployment `latest` or an id names; undefined when there is none (`keep` names none either). */
export function chosenDeployment(deployments: DeploymentLookup, service: string, choice: DeploymentChoice): DeploymentRecord | undefined {
  if (choice.kind === "keep") return undefined;
  const id = choice.kind === "id" ? choice.id : deployments.getService(service)?.deploymentId;
  return id === undefined ? undefined : deployments.getDeployment(id);
}

/** Whether `deployment` speaks the version the invocation is pinned to (a journal is replayed in its own version). */
export function speaksPinnedVersion(deployment: DeploymentRecord, pin: DeploymentPin): boolean {
  return deployment.minProtocolVersion <= pin.protocolVersion && pin.protocolVersion <= deployment.maxProtocolVersion;
}

/** `resume` or `restart as new`, as Restate names the operation in its refusals. */
export type MovingOperation = "resume" | "restart as new";

/** The chosen deployment does not speak the invocation's pinned protocol version (Restate: 400). */
export function incompatibleDeployment(id: string, pin: DeploymentPin, deployment: DeploymentRecord): OperationRefused {
  // Restate prints the deployment's range as a Rust inclusive range (`5..=6`).
  const reason = `is running on protocol version '${pin.protocolVersion}', while the chosen deployment '${deployment.id}' supports the range ${deployment.minProtocolVersion}..=${deployment.maxProtocolVersion}`;
  return OperationRefused.decided(AdminErrorCode.DeploymentIncompatible, id, reason);
}

/** The chosen deployment does not exist (Restate: 400). */
export function deploymentNotFound(id: string, operation: MovingOperation): OperationRefused {
  const verb = operation === "resume" ? "resuming" : "restarting";
  return new OperationRefused(
    AdminErrorCode.DeploymentNotFound,
    id,
    `The given deployment was not found when trying to ${operation} the invocation '${id}'.`,
    `Deployment not found when ${verb} invocation '${id}'`,
  );
}

/** A resume that would move a running or not yet pinned invocation (Restate: 409). */
export function deploymentNotChangeable(id: string): OperationRefused {
  return new OperationRefused(
    AdminErrorCode.DeploymentNotChangeable,
    id,
    `The invocation '${id}' is still running or the deployment id is not pinned yet, deployment id cannot be changed.`,
    `Cannot change deployment ID for invocation '${id}'`,
  );
}

/**
 * Where a resume moves the invocation: undefined to leave its pin, else the deployment to pin it to.
 * Throws `OperationRefused` as Restate refuses: moving one that runs (or backs off) or is not pinned yet
 * (but `latest` of an unpinned one is a plain resume), a deployment that does not exist or does not speak
 * the pinned protocol version. The invocation's state was checked before (completed, not started).
 */
export function resumeDeployment(deployments: DeploymentLookup, record: InvocationRecord, choice: DeploymentChoice): DeploymentId | undefined {
  if (choice.kind === "keep") return undefined;
  if (record.status !== "paused" && record.status !== "suspended") throw deploymentNotChangeable(record.id);
  const pin = record.pinned;
  if (pin === null) {
    if (choice.kind === "latest") return undefined;
    throw deploymentNotChangeable(record.id);
  }
  const deployment = chosenDeployment(deployments, record.target.service, choice);
  if (deployment === undefined) throw deploymentNotFound(record.id, "resume");
  if (!speaksPinnedVersion(deployment, pin)) throw incompatibleDeployment(record.id, pin, deployment);
  return deployment.id;
}
