import { toError } from "../../protocol/errors.js";
import type { InvocationId } from "../../protocol/index.js";
import type { RequestForwarder } from "../routing/index.js";
import type { InvocationOp } from "./invocation-operations.js";

/**
 * The part of a batch operation (`POST /internal/invocations_batch_operations/{op}`) whose invocations
 * live in partitions other nodes lead: passed on to each leader as a batch of its own, and the answers
 * mapped back to the ids. The leader runs its part as the single node would (the request is marked as
 * forwarded, so it passes nothing on again).
 */

/** How one id of a batch ended. */
export type BatchOutcome = { readonly ok: true; readonly newInvocationId?: string } | { readonly ok: false; readonly error: string };

/** An id this node could not act on: its partition is led elsewhere (`why`: this node's refusal). */
export interface RemoteItem {
  readonly id: InvocationId;
  readonly partition: number;
  readonly why: string;
}

interface BatchAnswer {
  readonly succeeded?: ReadonlyArray<string | { readonly old_invocation_id: string; readonly new_invocation_id: string }>;
  readonly failed?: ReadonlyArray<{ readonly invocation_id: string; readonly error: string }>;
}

/**
 * Runs `items` on their partitions' leaders; resolves with each item's outcome, in the order given.
 * One request per partition and round: the k-th repeat of an id goes in round k, after round k-1 was
 * answered, so repeats keep their order (as on one node) and every answer names each id once.
 * `deployment`: the body's, passed on as sent. Never rejects: a leader that cannot be asked fails its ids.
 */
export async function runOnLeaders(
  forwarder: Pick<RequestForwarder, "ask">,
  op: InvocationOp,
  items: readonly RemoteItem[],
  deployment: string | undefined,
): Promise<BatchOutcome[]> {
  const outcomes: BatchOutcome[] = new Array<BatchOutcome>(items.length);
  // Per partition, its rounds; each round maps an id to the position of the item in `items`.
  const partitions = new Map<number, Array<Map<string, number>>>();
  items.forEach((item, i) => {
    const rounds = partitions.get(item.partition) ?? [];
    partitions.set(item.partition, rounds);
    const round = rounds.find((r) => !r.has(item.id)) ?? rounds[rounds.push(new Map()) - 1]!;
    round.set(item.id, i);
  });
  await Promise.all(
    [...partitions].map(async ([partition, rounds]) => {
      for (const round of rounds) {
        const answered = await askLeader(forwarder, op, partition, [...round.keys()], deployment);
        for (const [id, i] of round) outcomes[i] = answered instanceof Map ? (answered.get(id) ?? noAnswer(id)) : answered ?? { ok: false, error: items[i]!.why };
      }
    }),
  );
  return outcomes;
}

/**
 * One round of one partition, asked of its leader: each id's outcome; one outcome for all of them when
 * the leader could not be asked or refused the whole request; undefined when no other node leads it.
 */
async function askLeader(
  forwarder: Pick<RequestForwarder, "ask">,
  op: InvocationOp,
  partition: number,
  ids: readonly string[],
  deployment: string | undefined,
): Promise<Map<string, BatchOutcome> | BatchOutcome | undefined> {
  let answer: Awaited<ReturnType<RequestForwarder["ask"]>>;
  try {
    answer = await forwarder.ask(partition, "admin", {
      method: "POST",
      path: `/internal/invocations_batch_operations/${op}`,
      json: deployment === undefined ? { invocation_ids: ids } : { invocation_ids: ids, deployment },
    });
  } catch (error) {
    return { ok: false, error: toError(error).message };
  }
  if (answer === undefined) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(answer.body.toString("utf8"));
  } catch {
    body = undefined;
  }
  if (answer.status !== 200) {
    const message = (body as { message?: unknown } | undefined)?.message;
    return { ok: false, error: `node ${answer.leader} refused the operation (${answer.status})${typeof message === "string" ? `: ${message}` : ""}` };
  }
  const { succeeded = [], failed = [] } = (body ?? {}) as BatchAnswer;
  const byId = new Map<string, BatchOutcome>();
  for (const entry of succeeded) {
    if (typeof entry === "string") byId.set(entry, { ok: true });
    else byId.set(entry.old_invocation_id, { ok: true, newInvocationId: entry.new_invocation_id });
  }
  for (const entry of failed) byId.set(entry.invocation_id, { ok: false, error: entry.error });
  return byId;
}

const noAnswer = (id: string): BatchOutcome => ({ ok: false, error: `the leader of the invocation '${id}' did not report on it` });
