import type { InvocationId } from "../../protocol/index.js";
import type { InvocationStatus } from "../types.js";
import type { ApplyContext } from "./context.js";
import type { CommandResult, ControlOp } from "./declarations.js";
import { cancelInvocation, killInvocation, purgeInvocation, resumeInvocation } from "./lifecycle.js";

/**
 * Why an operator action was refused, one for each of Restate 1.7.12's answers (the admin API words
 * them): `completed` a cancel, kill or resume of a completed invocation; `not-running` a pause of one
 * inboxed, scheduled or completed; `not-started` a resume of one inboxed or scheduled;
 * `not-completed` a purge of one that has not completed.
 */
export type ControlRefusal = "not-found" | "completed" | "not-running" | "not-started" | "not-completed";

const STATUS: Readonly<Record<ControlRefusal, number>> = {
  "not-found": 404,
  completed: 409,
  "not-running": 409,
  "not-started": 425,
  "not-completed": 409,
};

/** Why the invocation's state forbids `op`, or undefined when it allows it. */
export function controlRefusal(op: ControlOp, status: InvocationStatus): ControlRefusal | undefined {
  const notStarted = status === "scheduled" || status === "inboxed";
  switch (op) {
    case "cancel":
    case "kill":
      return status === "completed" ? "completed" : undefined;
    case "purge":
      return status === "completed" ? undefined : "not-completed";
    case "pause":
      // One that never started has no attempt to stop, and must still wait for its key's lock or its
      // time: a later resume would start it past both.
      return status === "completed" || notStarted ? "not-running" : undefined;
    case "resume":
      if (status === "completed") return "completed";
      return notStarted ? "not-started" : undefined;
  }
}

const refuse = (reason: ControlRefusal, status: InvocationStatus | undefined): CommandResult => ({
  applied: false,
  refusal: { status: STATUS[reason], message: status === undefined ? "invocation not found" : `the invocation is ${status}` },
});

/** Operator actions from the admin API, applied in the invocation's own partition. */
export function applyControl(ctx: ApplyContext, op: ControlOp, id: InvocationId): CommandResult {
  const { store } = ctx;
  const record = store.invocations.get(id);
  if (record === undefined) return refuse("not-found", undefined);
  const refused = controlRefusal(op, record.status);
  if (refused !== undefined) return refuse(refused, record.status);
  switch (op) {
    case "cancel":
      cancelInvocation(ctx, id);
      return { applied: true };
    case "kill":
      killInvocation(ctx, id);
      return { applied: true };
    case "purge":
      purgeInvocation(ctx, record);
      return { applied: true };
    case "pause":
      if (record.status !== "paused") {
        store.invocations.setStatus(id, "paused", ctx.now);
        ctx.actions.push({ kind: "abort", invocationId: id });
      }
      return { applied: true };
    case "resume":
      // Restate resumes paused, suspended and backing-off invocations alike: a new attempt starts now.
      if (record.status !== "invoked") resumeInvocation(ctx, id);
      return { applied: true };
  }
}
