import type { FastifyPluginAsync } from "fastify";
import type { CommandResult, ControlOp, InvocationRecord, InvocationStatus } from "../../partition/index.js";
import { asPartitionKey, invocationIdFromParts, parseInvocationId, type InvocationId } from "../../protocol/index.js";
import { AdminError, AdminErrorCode, invalidField } from "./admin-errors.js";
import { invocationJson } from "./invocation-view.js";

/** What the invocation routes need from the engine (the partition set implements it). */
export interface InvocationControl {
  /** Applies an operator action in the invocation's partition; a refusal carries the HTTP status. */
  control(op: ControlOp, invocationId: InvocationId): Promise<CommandResult>;
  getInvocation(invocationId: string): InvocationRecord | undefined;
}

export interface InvocationRoutesOptions {
  readonly invocations: InvocationControl;
}

/**
 * What a route answers for an operation on an invocation in a given state, as Restate 1.7.12 answers
 * (each case checked against the real server): `refuse` without touching the engine, `answer` a
 * no-op success, or `apply` through the engine and answer `status` once applied.
 */
type Decision =
  | { readonly kind: "refuse"; readonly error: (id: string) => AdminError }
  | { readonly kind: "answer"; readonly status: 200 }
  | { readonly kind: "apply"; readonly status: 200 | 202 };

const conflict = (text: string) => (id: string) => new AdminError(AdminErrorCode.InvocationStateConflict, `The invocation '${id}' ${text}`);
const ALREADY_COMPLETED = conflict("was already completed.");
const NOT_RUNNING = conflict("is not running, cannot be paused.");
const NOT_STARTED = (id: string) =>
  new AdminError(AdminErrorCode.InvocationNotStarted, `The invocation '${id}' is either inboxed or scheduled, cannot be resumed.`);

function decide(op: ControlOp, status: InvocationStatus): Decision {
  const notStarted = status === "scheduled" || status === "inboxed";
  switch (op) {
    case "cancel":
      if (status === "completed") return { kind: "refuse", error: ALREADY_COMPLETED };
      // One that never started ends at once (200); a started one is signalled and ends later (202).
      return { kind: "apply", status: notStarted ? 200 : 202 };
    case "kill":
      if (status === "completed") return { kind: "refuse", error: ALREADY_COMPLETED };
      return { kind: "apply", status: 200 };
    case "purge":
      if (status !== "completed") return { kind: "refuse", error: conflict("is not yet completed.") };
      return { kind: "apply", status: 200 };
    case "pause":
      if (status === "completed" || notStarted) return { kind: "refuse", error: NOT_RUNNING };
      // Restate answers 200 for a suspended invocation and leaves it suspended: its wake-up still counts.
      if (status === "paused" || status === "suspended") return { kind: "answer", status: 200 };
      return { kind: "apply", status: 202 };
    case "resume":
      if (status === "completed") return { kind: "refuse", error: conflict("is completed, cannot be resumed.") };
      if (notStarted) return { kind: "refuse", error: NOT_STARTED };
      // A running invocation has nothing to resume; Restate answers 200 all the same.
      if (status === "invoked") return { kind: "answer", status: 200 };
      // Paused; and suspended or backing-off, which Restate wakes or retries at once (the engine decides).
      return { kind: "apply", status: 200 };
    case "restart-as-new":
      if (status !== "completed") return { kind: "refuse", error: conflict("is not completed yet, cannot be restarted.") };
      return { kind: "apply", status: 200 };
  }
}

export const invocationNotFound = (id: string): AdminError =>
  new AdminError(AdminErrorCode.InvocationNotFound, `The requested invocation '${id}' does not exist`);

/** Turns a result the engine did not apply into the error the route answers. */
function refusalError(id: string, result: CommandResult): AdminError {
  const { refusal } = result;
  if (refusal === undefined) {
    return new AdminError(AdminErrorCode.InvocationUnavailable, `The invocation '${id}' could not be reached right now; retry later.`);
  }
  if (refusal.status === 404) return invocationNotFound(id);
  if (refusal.status === 425) return new AdminError(AdminErrorCode.InvocationNotStarted, `The invocation '${id}': ${refusal.message}`);
  // The engine refuses only unknown ids (404) and states that forbid the operation (409).
  return new AdminError(AdminErrorCode.InvocationStateConflict, `The invocation '${id}': ${refusal.message}`);
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
      const id = invocationIdParam(request.params.invocation_id);
      const record = invocations.getInvocation(id);
      if (record === undefined) throw invocationNotFound(id);
      // Decided on the state read now. Should the invocation move on before the command applies, the
      // engine checks again: it refuses (answered as such) or applies what still makes sense.
      const decision = decide(op, record.status);
      if (decision.kind === "refuse") throw decision.error(id);
      if (decision.kind === "apply") {
        const result = await invocations.control(op, id);
        if (!result.applied) throw refusalError(id, result);
      }
      return reply.status(decision.status).send();
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
      const record = invocations.getInvocation(id);
      if (record === undefined) throw invocationNotFound(id);
      if ((request.query.from ?? 0) > 0) {
        throw new AdminError(AdminErrorCode.Unsupported, "restarting from a journal prefix (from > 0) is not supported by stet; restart from 0");
      }
      const decision = decide("restart-as-new", record.status);
      if (decision.kind === "refuse") throw decision.error(id);
      const result = await invocations.control("restart-as-new", id);
      if (!result.applied || result.started === undefined) throw refusalError(id, result);
      return reply.status(200).send({ new_invocation_id: result.started.invocationId });
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
