import type { InvocationId } from "../../protocol/index.js";
import type { ApplyContext } from "./context.js";
import { cancelInvocation, killInvocation, resumeInvocation } from "./lifecycle.js";
import type { CommandResult } from "./apply.js";

export type ControlOp = "cancel" | "kill" | "purge" | "pause" | "resume";

const NOT_FOUND = { applied: false, refusal: { status: 404, message: "invocation not found" } } as const;

/** Operator actions from the admin API, applied in the invocation's own partition. */
export function applyControl(ctx: ApplyContext, op: ControlOp, id: InvocationId): CommandResult {
  const { store } = ctx;
  const record = store.invocations.get(id);
  if (record === undefined) return NOT_FOUND;
  switch (op) {
    case "cancel":
      if (record.status === "completed") return { applied: true };
      cancelInvocation(ctx, id);
      return { applied: true };
    case "kill":
      if (record.status === "completed") return { applied: true };
      killInvocation(ctx, id);
      return { applied: true };
    case "purge":
      if (record.status !== "completed") {
        return { applied: false, refusal: { status: 409, message: "the invocation is not completed; only completed invocations can be purged" } };
      }
      store.idempotency.deleteFor(id);
      store.invocations.delete(id);
      return { applied: true };
    case "pause":
      if (record.status === "completed") {
        return { applied: false, refusal: { status: 409, message: "the invocation is already completed" } };
      }
      if (record.status !== "paused") {
        store.invocations.setStatus(id, "paused", ctx.now);
        ctx.actions.push({ kind: "abort", invocationId: id });
      }
      return { applied: true };
    case "resume":
      if (record.status === "completed") return { applied: false, refusal: { status: 409, message: "the invocation is already completed" } };
      if (record.status === "scheduled" || record.status === "inboxed") {
        return { applied: false, refusal: { status: 425, message: `the invocation is ${record.status} and has not started yet` } };
      }
      // Restate resumes paused, suspended and backing-off invocations alike: a new attempt starts now.
      if (record.status !== "invoked") resumeInvocation(ctx, id);
      return { applied: true };
  }
}
