import type { ApplyContext } from "./context.js";
import { notifications } from "./frames.js";
import { admit, deliverNotification, purgeInvocation } from "./lifecycle.js";

/** Timers fired per command; the rest wait for the next firing, so one command stays short. */
const TIMER_BATCH = 1000;
const EXPIRY_BATCH = 500;

/** Fires every due timer of this partition and reports when the next one is due. */
export function fireTimers(ctx: ApplyContext): void {
  const { store } = ctx;
  for (const timer of store.timers.due(ctx.partition, ctx.now, TIMER_BATCH)) {
    store.timers.delete(timer.seq);
    if (timer.kind === "sleep") {
      deliverNotification(ctx, timer.invocationId, notifications.sleep(timer.completionId ?? 0));
      continue;
    }
    const record = store.invocations.get(timer.invocationId);
    if (record?.status === "scheduled") admit(ctx, record);
  }
  const next = store.timers.earliest(ctx.partition);
  if (next !== undefined) ctx.actions.push({ kind: "timer", fireAt: next });
}

/**
 * Purges completed invocations whose retention has passed (purgeInvocation), a bounded
 * batch per command so that invocations never wait long behind it. Returns whether more are due.
 */
export function expireInvocations(ctx: ApplyContext): boolean {
  const { store } = ctx;
  const expired = store.invocations.listExpired(ctx.partition, ctx.now, EXPIRY_BATCH);
  for (const id of expired) purgeInvocation(ctx, store.invocations.get(id)!);
  return expired.length === EXPIRY_BATCH;
}
