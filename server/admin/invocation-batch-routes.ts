import type { FastifyPluginAsync } from "fastify";
import { NotLeaderError } from "../../partition/index.js";
import { parseInvocationId, type InvocationId } from "../../protocol/index.js";
import { PART_HEADER, type RequestForwarder } from "../routing/index.js";
import { AdminError, AdminErrorCode, invalidField } from "./admin-errors.js";
import { runOnLeaders, type BatchOutcome } from "./batch-fan-out.js";
import { parseDeploymentChoice } from "./deployment-choice.js";
import { DEFAULT_OPERATION_REQUEST, operate, OperationRefused, type InvocationOp, type OperationRequest, type Operations } from "./invocation-operations.js";
import type { InvocationRoutesOptions } from "./invocation-routes.js";
import { RESTART_FROM_START } from "./restart-as-new.js";

/**
 * `POST /internal/invocations_batch_operations/{op}`: the web UI's bulk actions (it uses them instead of
 * one PATCH per invocation when the server reports version 1.6 or later). Each id is handled as its
 * `PATCH /invocations/{id}/{op}` would be; the answer lists which succeeded and why the others failed,
 * in request order, as restate-server 1.7.12 answers (statuses and wording checked against it).
 */

/** Restate's cap on the ids of one request (400 beyond it). */
export const MAX_BATCH_SIZE = 1000;

const BATCH_OPS = ["cancel", "kill", "purge", "pause", "resume", "restart-as-new"] as const satisfies readonly InvocationOp[];

export interface BatchFailure {
  invocation_id: string;
  error: string;
}
export interface RestartedJson {
  old_invocation_id: string;
  new_invocation_id: string;
}
export interface BatchResultJson {
  succeeded: Array<string | RestartedJson>;
  failed: BatchFailure[];
}

const unprocessable = (message: string) => new AdminError(AdminErrorCode.UnprocessableBody, message);

interface BatchRequest {
  readonly ids: InvocationId[];
  /**
   * The body's `deployment`, for restart-as-new (which always restarts from the input, as Restate's batch
   * has no `from`: one in the body is ignored, as Restate ignores unknown fields) and resume.
   */
  readonly request: OperationRequest;
  /** The body's `deployment` as sent (undefined when absent): what a part passed on to another node carries. */
  readonly deployment?: string;
}

/** The request body, checked: the ids parsed, the deployment choice valid. */
function parseBatchBody(body: unknown): BatchRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw unprocessable("The request body must be a JSON object with the field 'invocation_ids'");
  }
  const raw = body as Record<string, unknown>;
  const ids = raw["invocation_ids"];
  if (ids === undefined || ids === null) throw unprocessable("The request body misses the field 'invocation_ids'");
  if (!Array.isArray(ids)) throw unprocessable("The request field 'invocation_ids' must be an array of invocation ids");
  const parsed = ids.map((id: unknown, i) => {
    if (typeof id !== "string") throw unprocessable(`The request field 'invocation_ids[${i}]' must be a string`);
    try {
      return parseInvocationId(id);
    } catch (error) {
      throw unprocessable(`The request field 'invocation_ids[${i}]' is invalid. Reason: ${(error as Error).message}`);
    }
  });
  if (parsed.length > MAX_BATCH_SIZE) {
    throw new AdminError(AdminErrorCode.InvalidRequest, `Batch size ${parsed.length} exceeds maximum allowed size of ${MAX_BATCH_SIZE}`);
  }
  const deployment = raw["deployment"];
  if (deployment === undefined || deployment === null) return { ids: parsed, request: DEFAULT_OPERATION_REQUEST };
  if (typeof deployment !== "string") throw unprocessable("The request field 'deployment' must be a string");
  const choice = parseDeploymentChoice(deployment, (reason) => invalidField("deployment", reason));
  return { ids: parsed, request: { restart: { ...RESTART_FROM_START, deployment: choice }, resumeOn: choice }, deployment };
}

/** An id whose partition is not led here. */
interface Elsewhere {
  readonly ok: "elsewhere";
  readonly partition: number;
  readonly why: string;
}

/**
 * Runs `op` on every id. Distinct ids run concurrently (their commands share group commits); the
 * repeats of one id run one after the other, in request order, so the second kill of an id finds it
 * completed, as in Restate. Ids of partitions another node leads are passed on to their leaders through
 * `forwarder` (batch-fan-out.ts); without it they fail, named as not led here.
 */
export async function runBatch(ops: Operations, op: InvocationOp, batch: BatchRequest, forwarder?: RequestForwarder): Promise<BatchResultJson> {
  const { ids, request } = batch;
  const previous = new Map<string, Promise<unknown>>();
  const running = ids.map((id) => {
    const before = previous.get(id) ?? Promise.resolve();
    const outcome = before.then(async (): Promise<BatchOutcome | Elsewhere> => {
      try {
        const done = await operate(ops, op, id, request);
        return { ok: true, newInvocationId: done.newInvocationId };
      } catch (error) {
        if (error instanceof OperationRefused) return { ok: false, error: error.batchMessage };
        if (error instanceof AdminError) return { ok: false, error: error.message };
        // Nothing was applied: the partition refuses before it reads or writes anything.
        if (error instanceof NotLeaderError) return { ok: "elsewhere", partition: error.partition, why: error.message };
        throw error;
      }
    });
    previous.set(id, outcome.catch(() => undefined));
    return outcome;
  });
  const outcomes = await Promise.all(running);
  const remote = outcomes.flatMap((outcome, i) => (outcome.ok === "elsewhere" ? [{ i, item: { id: ids[i]!, partition: outcome.partition, why: outcome.why } }] : []));
  if (remote.length > 0) {
    const answered =
      forwarder === undefined
        ? remote.map(({ item }): BatchOutcome => ({ ok: false, error: item.why }))
        : await runOnLeaders(forwarder, op, remote.map(({ item }) => item), batch.deployment);
    remote.forEach(({ i }, k) => (outcomes[i] = answered[k]!));
  }
  const result: BatchResultJson = { succeeded: [], failed: [] };
  (outcomes as BatchOutcome[]).forEach((outcome, i) => {
    const id = ids[i]!;
    if (!outcome.ok) result.failed.push({ invocation_id: id, error: outcome.error });
    else if (op === "restart-as-new") result.succeeded.push({ old_invocation_id: id, new_invocation_id: outcome.newInvocationId! });
    else result.succeeded.push(id);
  });
  return result;
}

export const invocationBatchRoutes: FastifyPluginAsync<InvocationRoutesOptions> = async (app, options) => {
  const { forwarder, ...ops } = options;
  for (const op of BATCH_OPS) {
    app.post<{ Body: unknown }>(`/internal/invocations_batch_operations/${op}`, async (request) =>
      // A part another node passed on here is not passed on again (PART_HEADER).
      runBatch(ops, op, parseBatchBody(request.body), request.headers[PART_HEADER] === undefined ? forwarder : undefined),
    );
  }
  // Restate's `purge-journal` drops the journal of a completed invocation and keeps its outcome; stet
  // keeps or drops the two together (journal retention), so it refuses the operation as a whole.
  app.post("/internal/invocations_batch_operations/purge-journal", async () => {
    throw new AdminError(
      AdminErrorCode.Unsupported,
      "purge-journal is not supported by stet: it keeps an invocation's journal as long as its outcome; use purge to remove both",
    );
  });
};
