import type { FastifyPluginAsync } from "fastify";
import type { CommandResult, ControlOp, InvocationRecord } from "../../partition/index.js";
import { asPartitionKey, invocationIdFromParts, parseInvocationId, type InvocationId } from "../../protocol/index.js";
import { AdminError, AdminErrorCode, invalidField } from "./admin-errors.js";
import { invocationNotFound, operate, OperationRefused } from "./invocation-operations.js";
import { invocationJson } from "./invocation-view.js";

export { invocationNotFound } from "./invocation-operations.js";

/** What the invocation routes need from the engine (the partition set implements it). */
export interface InvocationControl {
  /** Applies an operator action in the invocation's partition; a refusal carries the HTTP status. */
  control(op: ControlOp, invocationId: InvocationId): Promise<CommandResult>;
  getInvocation(invocationId: string): InvocationRecord | undefined;
}

export interface InvocationRoutesOptions {
  readonly invocations: InvocationControl;
}

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

const OPS = ["cancel", "kill", "purge", "pause", "resume"] as const satisfies readonly ControlOp[];

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
 * Restate 1.7's invocation control (`PATCH /invocations/{id}/{cancel|kill|purge|pause|resume}` and the
 * deprecated `DELETE /invocations/{id}?mode=`), plus stet's `GET /invocations/{id}`. Successes answer
 * with an empty body, errors with `{message, restate_code}`, as Restate does.
 */
export const invocationRoutes: FastifyPluginAsync<InvocationRoutesOptions> = async (app, { invocations }) => {
  // These routes take no body, and Restate ignores one: an empty body sent as `application/json`
  // (which fastify's JSON parser rejects) must not fail the request. Scoped to this plugin.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, _body, done) => done(null, undefined));

  for (const op of OPS) {
    app.patch<{ Params: IdParams }>(`/invocations/:invocation_id/${op}`, { schema: { params: idParams } }, async (request, reply) => {
      const { status } = await operateOrThrow(invocations, op, invocationIdParam(request.params.invocation_id));
      return reply.status(status).send();
    });
  }

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

  // Restarts a completed invocation as a new one with the same target and input. Only from the start:
  // `from` > 0 (keeping a journal prefix) is refused with 422, as stet does not copy journals.
  app.patch<{ Params: IdParams; Querystring: { from?: number } }>(
    "/invocations/:invocation_id/restart-as-new",
    { schema: { params: idParams, querystring: { type: "object", properties: { from: { type: "integer", minimum: 0 }, deployment: { type: "string" } } } } },
    async (request, reply) => {
      const id = invocationIdParam(request.params.invocation_id);
      if (invocations.getInvocation(id) === undefined) throw invocationNotFound(id);
      if ((request.query.from ?? 0) > 0) {
        throw new AdminError(AdminErrorCode.Unsupported, "restarting from a journal prefix (from > 0) is not supported by stet; restart from 0");
      }
      const result = await operateOrThrow(invocations, "restart-as-new", id);
      return reply.status(200).send({ new_invocation_id: result.newInvocationId });
    },
  );

  app.get<{ Params: IdParams }>("/invocations/:invocation_id", { schema: { params: idParams } }, async (request) => {
    const id = invocationIdParam(request.params.invocation_id);
    const record = invocations.getInvocation(id);
    if (record === undefined) throw invocationNotFound(id);
    const caller = record.caller === null ? undefined : invocations.getInvocation(record.caller.id);
    return invocationJson(record, caller);
  });
};

/** `operate`, with a refusal thrown as the single route's admin error. */
async function operateOrThrow(invocations: InvocationControl, op: ControlOp, id: InvocationId) {
  try {
    return await operate(invocations, op, id);
  } catch (error) {
    throw error instanceof OperationRefused ? error.toAdminError() : error;
  }
}
