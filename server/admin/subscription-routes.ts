import type { FastifyInstance } from "fastify";
import type { DeploymentRegistry } from "../registry/index.js";
import { AdminError, AdminErrorCode, invalidField } from "./admin-errors.js";

/**
 * Restate 1.7's subscription routes, for a server without Kafka. stet has no Kafka clusters, so it has
 * no subscriptions: the list is empty, a lookup or delete of a well-formed id answers 404, and a
 * creation is refused with the 400 restate-server gives when the source names a cluster it does not
 * have (checked against restate-server 1.7.12 without any cluster configured). The source and the
 * sink are checked first, in Restate's order, so a wrong sink is reported as such.
 */

// `sub_1` + a ULID in base62 (22 digits), like deployment ids.
const SUBSCRIPTION_ID = /^sub_1[0-9A-Za-z]{22}$/;
const SUBSCRIPTION_ID_LENGTH = "sub_1".length + 22;
const META_INVALID_SUBSCRIPTION = "META0009";

/** The path id, checked as Restate checks it (400 `bad length` / `bad format`). */
function subscriptionIdParam(raw: string): string {
  if (SUBSCRIPTION_ID.test(raw)) return raw;
  throw invalidField("subscription", raw.startsWith("sub_") && raw.length !== SUBSCRIPTION_ID_LENGTH ? "bad length" : "bad format");
}

const invalidSubscription = (message: string): AdminError =>
  new AdminError(AdminErrorCode.InvalidSubscription, message, META_INVALID_SUBSCRIPTION);

/** `scheme://authority/path…` split; undefined when the text has no `scheme://`. */
function splitUri(text: string): { scheme: string; authority: string; path: string } | undefined {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(text);
  if (match === null) return undefined;
  return { scheme: match[1]!.toLowerCase(), authority: match[2]!, path: match[3]! };
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (value === undefined || value === null) {
    throw new AdminError(AdminErrorCode.UnprocessableBody, `The request body misses the field '${field}'`);
  }
  if (typeof value !== "string") throw new AdminError(AdminErrorCode.UnprocessableBody, `The request field '${field}' must be a string`);
  return value;
}

/** Refuses a `CreateSubscriptionRequest` with the error restate-server gives without Kafka clusters. */
function refuseSubscription(body: unknown, registry: DeploymentRegistry): never {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AdminError(AdminErrorCode.UnprocessableBody, "The request body must be a JSON object (CreateSubscriptionRequest)");
  }
  const raw = body as Record<string, unknown>;
  const source = requiredString(raw, "source");
  const sink = requiredString(raw, "sink");
  const options = raw["options"];
  if (options !== undefined && options !== null && (typeof options !== "object" || Array.isArray(options))) {
    throw new AdminError(AdminErrorCode.UnprocessableBody, "The request field 'options' must be an object of strings");
  }

  const sourceUri = splitUri(source);
  if (sourceUri === undefined || sourceUri.scheme !== "kafka") {
    throw invalidSubscription(`invalid source URI '${source}': must have a scheme segment, with supported schemes: [kafka].`);
  }
  if (sourceUri.authority === "") throw new AdminError(AdminErrorCode.UnprocessableBody, "The request field 'source' names no Kafka cluster");

  const sinkUri = splitUri(sink);
  if (sinkUri === undefined || sinkUri.scheme !== "service") {
    throw invalidSubscription(`invalid sink URI '${sink}': must have a scheme segment, with supported schemes: [service].`);
  }
  const handler = sinkUri.path.replace(/^\//, "").split("/")[0] ?? "";
  if (registry.resolveHandler(sinkUri.authority, handler) === null) {
    const shown = `service://${sinkUri.authority}${sinkUri.path === "" ? "/" : sinkUri.path}`;
    throw invalidSubscription(`invalid sink URI '${shown}': cannot find service/handler specified in the sink URI.`);
  }
  // stet has no Kafka clusters: every source names one it does not know.
  throw new AdminError(AdminErrorCode.InvalidSubscription, `Kafka cluster '${sourceUri.authority}' not found. Available clusters: []`);
}

const idParams = { type: "object", required: ["subscription"], properties: { subscription: { type: "string" } } } as const;
const listQuery = { type: "object", properties: { sink: { type: "string" }, source: { type: "string" } } } as const;

/** `GET/POST /subscriptions`, `GET/DELETE /subscriptions/{id}`. */
export function registerSubscriptionRoutes(app: FastifyInstance, registry: DeploymentRegistry): void {
  app.get("/subscriptions", { schema: { querystring: listQuery } }, async () => ({ subscriptions: [] }));

  app.post<{ Body: unknown }>("/subscriptions", async (request) => refuseSubscription(request.body, registry));

  app.get<{ Params: { subscription: string } }>("/subscriptions/:subscription", { schema: { params: idParams } }, async (request) => {
    const id = subscriptionIdParam(request.params.subscription);
    throw new AdminError(AdminErrorCode.SubscriptionNotFound, `The requested subscription '${id}' does not exist`);
  });

  app.delete<{ Params: { subscription: string } }>("/subscriptions/:subscription", { schema: { params: idParams } }, async (request) => {
    const id = subscriptionIdParam(request.params.subscription);
    // Restate words the 404 of a delete differently from the one of a lookup.
    throw new AdminError(AdminErrorCode.SubscriptionNotFound, `not found in the schema registry: subscription with id '${id}'`);
  });
}
