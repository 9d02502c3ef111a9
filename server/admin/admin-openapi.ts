import type { FastifyInstance, RouteOptions } from "fastify";

/**
 * `GET /openapi`: an OpenAPI 3.1 document of stet's admin API, built from the routes as they are
 * declared (their paths, methods and fastify schemas), so it cannot drift from what is served. Routes
 * marked `config: { openapi: false }` (the 405 answers) and HEAD twins are left out. Restate 1.7 serves
 * the same route at `/openapi`; its document is written by hand (utoipa) and richer in prose.
 */

export interface DocumentedRoute {
  readonly method: string;
  /** fastify's path, `:param` style. */
  readonly path: string;
  readonly schema: RouteOptions["schema"];
}

type Json = Record<string, unknown>;

/** Records the routes declared in `app` from now on (its own and its children's). */
export function collectDocumentedRoutes(app: FastifyInstance): DocumentedRoute[] {
  const routes: DocumentedRoute[] = [];
  app.addHook("onRoute", (route) => {
    if (route.routePath.includes("*") || (route.config as { openapi?: boolean } | undefined)?.openapi === false) return;
    for (const method of [route.method].flat()) {
      if (method === "HEAD" || method === "OPTIONS") continue;
      routes.push({ method, path: route.routePath, schema: route.schema });
    }
  });
  return routes;
}

const openApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

function parameters(schema: Json | undefined, where: "path" | "query"): Json[] {
  const properties = (schema?.["properties"] ?? {}) as Record<string, unknown>;
  const required = new Set((schema?.["required"] as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, propertySchema]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    schema: propertySchema,
  }));
}

/** `get_services_service_handlers` for `GET /services/:service/handlers`. */
const operationId = (method: string, path: string) =>
  `${method.toLowerCase()}${path.replace(/[/:{}-]+/g, "_").replace(/_+$/, "")}`;

const ERROR_RESPONSE = {
  description: "An error: `{message, restate_code}`",
  content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorDescriptionResponse" } } },
};

/** The document for `routes`; `version` is stet's. */
export function adminOpenApi(routes: readonly DocumentedRoute[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of [...routes].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const schema = (route.schema ?? {}) as Json;
    const operation: Json = {
      operationId: operationId(route.method, route.path),
      tags: [route.path.split("/")[1] ?? ""],
      parameters: [...parameters(schema["params"] as Json | undefined, "path"), ...parameters(schema["querystring"] as Json | undefined, "query")],
      responses: { "2XX": { description: "Success" }, default: ERROR_RESPONSE },
    };
    if (schema["body"] !== undefined) {
      operation["requestBody"] = { required: true, content: { "application/json": { schema: schema["body"] } } };
    }
    (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "stet admin API",
      version,
      description:
        "Restate 1.7's admin API as stet serves it: deployments, services, handlers, invocations, subscriptions. " +
        "Every path is also served under /v2, /v3 and /v4.",
    },
    paths,
    components: {
      schemas: {
        ErrorDescriptionResponse: {
          type: "object",
          required: ["message"],
          properties: { message: { type: "string" }, restate_code: { type: ["string", "null"] } },
        },
      },
    },
  };
}
