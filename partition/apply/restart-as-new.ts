import { newInvocationId, partitionKeyOf, type InvocationId } from "../../protocol/index.js";
import { encodeEntry, type ApplyContext } from "./context.js";
import type { CommandResult, RestartRefusal } from "./declarations.js";
import { journalPrefix } from "./journal-prefix.js";
import { startInvocation } from "./lifecycle.js";
import { restartedPin } from "./pinning.js";

const STATUS: Readonly<Record<RestartRefusal, number>> = {
  "not-found": 404,
  "not-started": 425,
  "still-running": 409,
  "missing-input": 410,
  unsupported: 422,
  "deployment-not-found": 400,
  "copy-range-invalid": 400,
  "index-out-of-range": 400,
};

const refuse = (reason: RestartRefusal, message: string): CommandResult => ({
  applied: false,
  refusal: { status: STATUS[reason], message, reason },
});

/**
 * Starts a completed invocation again under a new id, with the same target, and a copy of its journal
 * up to entry `copyUpTo` (0: the input alone) plus the completions of the commands copied (see
 * journalPrefix). Copied commands are not carried out again: their state writes, calls and timers
 * happened once, in the original; the new invocation's attempt replays them to the service. The
 * original stays as it is (outcome, idempotency key). The new invocation has the original's partition
 * key, so it is created in this same transaction, journal copy included. It is pinned as the original
 * was (Restate carries the pin over), on `deployment` when the operator chose one.
 */
export function applyRestartAsNew(ctx: ApplyContext, id: InvocationId, copyUpTo: number, deployment?: string): CommandResult {
  const { store } = ctx;
  const record = store.invocations.get(id);
  if (record === undefined) return refuse("not-found", "invocation not found");
  if (record.status === "scheduled" || record.status === "inboxed") return refuse("not-started", `the invocation is ${record.status}`);
  if (record.status !== "completed") return refuse("still-running", "the invocation is not completed yet");
  const journal = store.invocations.readJournal(id);
  if (journal.length === 0) return refuse("missing-input", "the invocation's journal is gone");
  // Restate refuses every handler of a workflow, the shared ones too.
  if (record.serviceType === "WORKFLOW") return refuse("unsupported", "a workflow's invocations cannot be restarted");
  const handler = ctx.services.resolve(record.target.service, record.target.handler);
  if (handler === undefined) return refuse("deployment-not-found", "no deployment serves the handler any more");
  const copied = journalPrefix(journal, copyUpTo);
  if (typeof copied === "string") return refuse(copied, `the journal cannot be copied up to entry ${copyUpTo}`);

  const invocationId = newInvocationId(partitionKeyOf(id));
  // A new invocation: no idempotency key (the original keeps it), no caller waiting for it.
  startInvocation(
    ctx,
    {
      invocationId,
      target: record.target,
      handler,
      input: encodeEntry(copied[0]!),
      idempotencyKey: null,
      caller: null,
      executionTime: null,
    },
    copied,
  );
  // Before its first attempt reads it: the enqueue runs after the commit.
  const pin = restartedPin(record, deployment);
  if (pin !== null) store.invocations.pin(invocationId, pin);
  return { applied: true, started: { invocationId, existing: false } };
}
