import type { DeploymentPin } from "../../invoker/index.js";
import type { InvocationId } from "../../protocol/index.js";
import type { InvocationRecord } from "../types.js";
import type { ApplyContext } from "./context.js";

/**
 * Deployment pinning, as Restate 1.7 does it: an invocation is bound to the deployment and protocol
 * version of the first attempt that wrote to its journal, so a journal is always replayed by the code
 * that wrote it, also after a newer deployment is registered. Only an operator moves it (resume or
 * restart-as-new with `deployment=latest|<id>`).
 */

/** Records the attempt's deployment carried by its effect, unless the invocation is pinned already. */
export function pinOnFirstWrite(ctx: ApplyContext, record: InvocationRecord, pin: DeploymentPin | undefined): void {
  if (pin !== undefined && record.pinned === null) ctx.store.invocations.pin(record.id, pin);
}

/**
 * Moves a paused or suspended, pinned invocation to `deploymentId` as its resume applies; its protocol
 * version stays (the admin route checked the deployment speaks it). Anything else is left alone: the
 * route refused a running or unpinned one, and one that moved on since is resumed where it is, as Restate
 * resumes it.
 */
export function repinOnResume(ctx: ApplyContext, id: InvocationId, deploymentId: string): void {
  const record = ctx.store.invocations.get(id);
  if (record?.pinned == null || (record.status !== "paused" && record.status !== "suspended")) return;
  ctx.store.invocations.pin(id, { ...record.pinned, deploymentId });
}

/** The pin of a restarted invocation: the original's, on `deploymentId` when one was chosen (none stays none). */
export function restartedPin(record: InvocationRecord, deploymentId: string | undefined): DeploymentPin | null {
  if (record.pinned === null) return null;
  return deploymentId === undefined ? record.pinned : { ...record.pinned, deploymentId };
}
