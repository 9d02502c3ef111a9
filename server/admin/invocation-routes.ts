import type { FastifyPluginAsync } from "fastify";
import { NotLeaderError, type CommandResult, type ControlOp, type InvocationRecord } from "../../partition/index.js";
import { PART_HEADER, type RequestForwarder } from "../routing/index.js";
import { asPartitionKey, invocationIdFromParts, parseInvocationId, type InvocationId } from "../../protocol/index.js";
import { invalidField, invalidQueryParameter } from "./admin-errors.js";
import {
  DEFAULT_OPERATION_REQUEST,
  invocationNotFound,
  operate,
  OperationRefused,
  type InvocationOp,
  type OperationRequest,
  type Operations,
} from "./invocation-operations.js";
import { invocationJson, invocationTarget, type InvocationJson } from "./invocation-view.js";
import { parseDeploymentChoice } from "./deployment-choice.js";
import { RESTART_FROM_START, type RestartRequest } from "./restart-as-new.js";

export { invocationNotFound } from "./invocation-operations.js";

/** What the invocation routes need from the engine (the partition set implements it). */
export interface InvocationControl {
  /**
   * Applies an operator action in the invocation's partition; a refusal carries the HTTP status.
   * `deployment`: for resume, the deployment a paused or suspended invocation is moved to.
   */
  control(op: ControlOp, invocationId: InvocationId, deployment?: string): Promise<CommandResult>;
  /**
   * Starts a completed invocation anew, its journal copied up to entry `copyUpTo` (included; 0: the
   * input), pinned as the original was, on `deployment` when given; a refusal carries its reason.
   */
  restartAsNew(invocationId: InvocationId, copyUpTo: number, deployment?: string): Promise<CommandResult>;
  getInvocation(invocationId: string): InvocationRecord | undefined;
}

/**
 * The routes need what the operations behind them need, and in a cluster the way to other nodes: for
 * what spans partitions led elsewhere (a batch's ids, an invocation's caller).
 */
export type InvocationRoutesOptions = Operations & { readonly forwarder?: RequestForwarder };

// A valid id's length, from the codec itself (the prefix and digit counts live in protocol/ids.ts).
const INVOCATION_ID_LENGTH = invocationIdFromParts(asPartitionKey(0n), new Uint8Array(16)).length;

/** Parses the path id; Restate's 400 names the field and says `bad length` or `bad format`. */
function invocationIdParam(raw: string): InvocationId {
  try {
    return parseInvocationId(raw);
  } catch {
    throw invalidField("invocation_id", raw.startsWith("inv_") && raw.length !== INVOCATION_ID_LENGTH ? "bad length" : "bad format");
  }
}

// `from` is Restate's u32 entry index.
const restartQuery = {
  type: "object",
  properties: { from: { type: "integer", minimum: 0, maximum: 0xffff_ffff }, deployment: { type: "string" } },
} as const;

const OPS = ["cancel", "kill", "purge", "pause"] as const satisfies readonly ControlOp[];

const resumeQuery = { type: "object", properties: { deployment: { type: "string" } } } as const;

type IdParams = { invocation_id: string };
const idParams = { type: "object", required: ["invocation_id"], properties: { invocation_id: { type: "string" } } } as const;

// Restate's deprecated DELETE accepts each mode capitalized (its OpenAPI enum) or in lower case.
const DELETE_MODES = { Cancel: "cancel", cancel: "cancel", Kill: "kill", kill: "kill", Purge: "purge", purge: "purge" } as const;
type DeleteMode = keyof typeof DELETE_MODES;
const deleteQuery = {
  type: "object",
  properties: { mode: { type: "string", enum: Object.keys(DELETE_MODES) } },
} as const;

/**
 * Restate 1.7's invocation control (`PATCH /invocations/{id}/{cancel|kill|purge|pause|resume|restart-as-new}`
 * and the deprecated `DELETE /invocations/{id}?mode=`), plus stet's `GET /invocations/{id}`. Successes answer
 * with an empty body (restart-as-new: the new id), errors with `{message, restate_code}`, as Restate does.
 */
export const invocationRoutes: FastifyPluginAsync<InvocationRoutesOptions> = async (app, ops) => {
  const { invocations } = ops;
  // These routes take no body, and Restate ignores one: an empty body sent as `application/json`
  // (which fastify's JSON parser rejects) must not fail the request. Scoped to this plugin.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, _body, done) => done(null, undefined));

  for (const op of OPS) {
    app.patch<{ Params: IdParams }>(`/invocations/:invocation_id/${op}`, { schema: { params: idParams } }, async (request, reply) => {
      const { status } = await operateOrThrow(ops, op, invocationIdParam(request.params.invocation_id));
      return reply.status(status).send();
    });
  }

  // `deployment` moves a paused or suspended invocation to another deployment (keep: default).
  app.patch<{ Params: IdParams; Querystring: { deployment?: string } }>(
    "/invocations/:invocation_id/resume",
    { schema: { params: idParams, querystring: resumeQuery } },
    async (request, reply) => {
      const id = invocationIdParam(request.params.invocation_id);
      const { deployment } = request.query;
      const resumeOn = deployment === undefined ? DEFAULT_OPERATION_REQUEST.resumeOn : parseDeploymentChoice(deployment, (reason) => invalidQueryParameter("deployment", reason));
      const { status } = await operateOrThrow(ops, "resume", id, { ...DEFAULT_OPERATION_REQUEST, resumeOn });
      return reply.status(status).send();
    },
  );

  // Restate answers 202 whatever happens to a well-formed id (unknown, completed, purge of a running
  // one): the operation is fire-and-forget there, so refusals are not reported.
  app.delete<{ Params: IdParams; Querystring: { mode?: DeleteMode } }>(
    "/invocations/:invocation_id",
    { schema: { params: idParams, querystring: deleteQuery } },
    async (request, reply) => {
      const id = invocationIdParam(request.params.invocation_id);
      await invocations.control(DELETE_MODES[request.query.mode ?? "cancel"], id);
      return reply.status(202).send();
    },
  );

  // Restarts a completed invocation as a new one with the same target, its journal copied up to entry
  // `from` (restart-as-new.ts). `deployment` is Restate's choice of deployment (default: latest).
  app.patch<{ Params: IdParams; Querystring: { from?: number; deployment?: string } }>(
    "/invocations/:invocation_id/restart-as-new",
    { schema: { params: idParams, querystring: restartQuery } },
    async (request, reply) => {
      const id = invocationIdParam(request.params.invocation_id);
      const { from, deployment } = request.query;
      const restart: RestartRequest = {
        from: from ?? 0,
        deployment:
          deployment === undefined
            ? RESTART_FROM_START.deployment
            : parseDeploymentChoice(deployment, (reason) => invalidQueryParameter("deployment", reason)),
      };
      const result = await operateOrThrow(ops, "restart-as-new", id, { ...DEFAULT_OPERATION_REQUEST, restart });
      return reply.status(200).send({ new_invocation_id: result.newInvocationId });
    },
  );

  app.get<{ Params: IdParams }>("/invocations/:invocation_id", { schema: { params: idParams } }, async (request) => {
    const id = invocationIdParam(request.params.invocation_id);
    const record = invocations.getInvocation(id);
    if (record === undefined) throw invocationNotFound(id);
    if (record.caller === null) return invocationJson(record);
    // The caller may live in a partition another node leads: that node is asked (unless this request is
    // itself a part another node asked of this one).
    const forwarder = request.headers[PART_HEADER] === undefined ? ops.forwarder : undefined;
    return invocationJson(record, await targetOf(invocations, record.caller.id, forwarder));
  });
};

/**
 * The target of invocation `id` (`Service/handler`, `Object/key/handler`): read here, or from the node
 * that leads its partition; undefined when it is gone or cannot be read now (the field is informative,
 * so the route answers without it rather than failing).
 */
async function targetOf(invocations: InvocationControl, id: InvocationId, forwarder: RequestForwarder | undefined): Promise<string | undefined> {
  try {
    const record = invocations.getInvocation(id);
    return record === undefined ? undefined : invocationTarget(record);
  } catch (error) {
    if (!(error instanceof NotLeaderError) || forwarder === undefined) return undefined;
    const answer = await forwarder.ask(error.partition, "admin", { method: "GET", path: `/invocations/${id}` }).catch(() => undefined);
    if (answer?.status !== 200) return undefined;
    const { target } = JSON.parse(answer.body.toString("utf8")) as Partial<InvocationJson>;
    return typeof target === "string" ? target : undefined;
  }
}

/** `operate`, with a refusal thrown as the single route's admin error. */
async function operateOrThrow(ops: Operations, op: InvocationOp, id: InvocationId, request?: OperationRequest) {
  try {
    return await operate(ops, op, id, request);
  } catch (error) {
    throw error instanceof OperationRefused ? error.toAdminError() : error;
  }
}
