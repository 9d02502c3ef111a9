import type { InvocationAction } from "../../api/admin-api.js";
import type { InvocationStatus } from "../../api/queries.js";

export interface ActionInfo {
  readonly action: InvocationAction;
  readonly label: string;
  /** Asked for confirmation first: what the person loses. */
  readonly warning?: string;
}

const ACTIONS: readonly ActionInfo[] = [
  { action: "cancel", label: "Cancel", warning: "The handler is asked to stop; it may run compensations, and then ends with a failure." },
  { action: "kill", label: "Kill", warning: "The invocation ends now with a failure, without running any more of the handler." },
  { action: "pause", label: "Pause" },
  { action: "resume", label: "Resume" },
  { action: "purge", label: "Purge", warning: "The invocation, its journal and its result are deleted for good." },
];

/** The actions that make sense in a status (stet refuses the others with 409, and says so). */
export function actionsFor(status: InvocationStatus): ActionInfo[] {
  const allowed = (a: InvocationAction): boolean => {
    switch (a) {
      case "cancel":
      case "kill":
        return status !== "completed";
      case "pause":
        return status === "ready" || status === "running" || status === "backing-off";
      case "resume":
        return status === "paused" || status === "suspended" || status === "backing-off";
      case "purge":
        return status === "completed";
    }
  };
  return ACTIONS.filter((a) => allowed(a.action));
}
