import type { FastifyInstance } from "fastify";
import type { StateMutation } from "../../partition/index.js";
import { serviceNotFound, type DeploymentRegistry } from "../registry/index.js";
import { AdminError, AdminErrorCode, invalidField } from "./admin-errors.js";

/** What the state route needs of the engine: a durable request to replace one key's state. */
export interface StateWriter {
  mutateState(mutation: StateMutation): Promise<void>;
}

interface ModifyStateBody {
  readonly version?: string | null;
  readonly object_key: string;
  readonly scope?: string | null;
  /** Values as byte arrays (Restate's CLI) or strings, taken as UTF-8 (Restate's web UI). */
  readonly new_state: Readonly<Record<string, unknown>>;
}

const modifyStateSchema = {
  params: { type: "object", required: ["service"], properties: { service: { type: "string" } } },
  body: {
    type: "object",
    required: ["object_key", "new_state"],
    properties: {
      version: { type: ["string", "null"] },
      object_key: { type: "string" },
      scope: { type: ["string", "null"] },
      // Values are checked by stateEntries: fastify's schema coercion would turn `[300]` into "300".
      new_state: { type: "object" },
    },
  },
} as const;

/**
 * `POST /services/{service}/state`: replaces the whole state of one virtual object or workflow key (keys
 * left out are deleted), as Restate's CLI (`kv edit`, `kv clear`) and web UI do. Answers 202 once the
 * request is durable; it is applied when no exclusive handler holds the key, after the invocations that
 * were already waiting for it, and dropped if `version` no longer matches the state by then.
 */
export function registerStateRoutes(app: FastifyInstance, registry: DeploymentRegistry, writer: StateWriter): void {
  app.post<{ Params: { service: string }; Body: ModifyStateBody }>(
    "/services/:service/state",
    { schema: modifyStateSchema },
    async (request, reply) => {
      const name = request.params.service;
      const { version, object_key: key, scope, new_state: newState } = request.body;
      const entries = stateEntries(newState);
      const service = registry.getService(name);
      // Clearing is allowed for a service no longer registered: its objects' state outlives it.
      if (service === undefined && entries.length > 0) throw serviceNotFound(name);
      if (service?.ty === "SERVICE") throw new AdminError(AdminErrorCode.InvalidRequest, "Cannot modify state for service type Service");
      if (scope !== undefined && scope !== null && scope !== "") {
        throw new AdminError(AdminErrorCode.Unsupported, "scoped state is not supported by stet (scopes are an experimental Restate 1.7 feature)");
      }
      await writer.mutateState({ service: name, key, expectedVersion: version ?? null, entries });
      return reply.code(202).send();
    },
  );
}

/** `new_state` as key and value bytes: each value a byte array (integers 0-255) or a string (its UTF-8). */
function stateEntries(newState: Readonly<Record<string, unknown>>): Array<readonly [Uint8Array, Uint8Array]> {
  return Object.entries(newState).map(([key, value]) => {
    if (typeof value === "string") return [Buffer.from(key, "utf8"), Buffer.from(value, "utf8")] as const;
    if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
      return [Buffer.from(key, "utf8"), Uint8Array.from(value as number[])] as const;
    }
    throw invalidField(`new_state.${key}`, "expected a byte array (integers from 0 to 255) or a string");
  });
}
