import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import { parseDeploymentId } from "../../protocol/index.js";
import { discover as defaultDiscover, parseDeploymentUri, type DiscoverOptions } from "../discovery/index.js";
import {
  handlerNotFound,
  serviceNotFound,
  deploymentNotFound,
  RegistryError,
  RegistryErrorCode,
  type DeploymentRegistry,
  type ServiceDefaults,
} from "../registry/index.js";
import { AdminError, AdminErrorCode, adminErrorHandler, invalidField, methodNotAllowed } from "./admin-errors.js";
import { deploymentJson, detailedDeploymentJson, registerDeploymentJson } from "./deployment-view.js";
import { adminOpenApi, collectDocumentedRoutes } from "./admin-openapi.js";
import { ingressOpenApi } from "./ingress-openapi.js";
import { invocationBatchRoutes } from "./invocation-batch-routes.js";
import { invocationRoutes, type InvocationControl } from "./invocation-routes.js";
import { checkHeaders } from "./request-headers.js";
import { registerDeploymentUpdateRoutes } from "./deployment-update-routes.js";
import { metricsRoute, type MetricsEndpoint } from "../metrics/index.js";
import { registerQueryRoute, type QueryRunner } from "./query-route.js";
import { registerServiceRoutes } from "./service-routes.js";
import { registerStateRoutes, type StateWriter } from "./state-routes.js";
import { registerSubscriptionRoutes } from "./subscription-routes.js";
import { handlerMetadata, serviceMetadata } from "./service-view.js";
import { unhealthyBody, type HealthProbe } from "../http/health-probe.js";
import { forwardingErrorHandler, type RequestForwarder } from "../routing/index.js";

export interface AdminVersionInfo {
  /** stet's version, reported as the server version. */
  readonly version: string;
  /** The ingress URL the web UI and CLI should call; null when unknown. */
  readonly ingressEndpoint?: string | null;
  readonly features?: Readonly<Record<string, boolean>>;
}

export interface AdminPluginOptions {
  readonly registry: DeploymentRegistry;
  /** Options of every discovery run by `POST /deployments` (timeout, HTTP/1.1 fallback, protocol range). */
  readonly discovery?: Omit<DiscoverOptions, "additionalHeaders" | "useHttp11">;
  readonly versionInfo: AdminVersionInfo;
  /** Defaults reported for options a service leaves unset. Default: Restate 1.7's. */
  readonly serviceDefaults?: ServiceDefaults;
  /** Replaces the discovery client (tests). */
  readonly discover?: typeof defaultDiscover;
  /** The engine behind `/invocations/...` (cancel, kill, purge, pause, resume, get); those routes are absent without it. */
  readonly invocations?: InvocationControl;
  /** The engine behind `POST /services/{service}/state`; the route is absent without it. */
  readonly state?: StateWriter;
  /** What `GET /metrics` serves (Prometheus text); the route is absent without it. */
  readonly metrics?: MetricsEndpoint;
  /** What answers `POST /query`; the route is absent without it. */
  readonly query?: QueryRunner;
  /** Why `GET /health` answers 503 instead of 200 (the store unreachable); always 200 without it. */
  readonly health?: HealthProbe;
  /** Passes requests for partitions another node leads on to that node; without it they answer 503. */
  readonly forwarder?: RequestForwarder;
  /**
   * Reloads the registry when the store changed. Awaited before every deployment and service route in a
   * cluster, where another node may have changed the registry a moment ago: one version read when
   * nothing changed, shared by concurrent requests. Without it (one node) routes answer from memory.
   */
  readonly refreshRegistry?: () => Promise<unknown>;
}

/** Admin API versions served, as `/v{N}/...` and unprefixed (Restate 1.7 serves 2 to 4; its CLI uses `/v4`). */
export const MIN_ADMIN_API_VERSION = 2;
export const MAX_ADMIN_API_VERSION = 4;

interface RegisterBody {
  uri?: string;
  arn?: string;
  additional_headers?: Record<string, string> | null;
  use_http_11?: boolean | null;
  force?: boolean | null;
  breaking?: boolean | null;
  dry_run?: boolean | null;
  metadata?: Record<string, string> | null;
}

const stringMap = { type: ["object", "null"], additionalProperties: { type: "string" } } as const;
const flag = { type: ["boolean", "null"] } as const;

const registerSchema = {
  body: {
    type: "object",
    properties: {
      uri: { type: "string" },
      arn: { type: "string" },
      additional_headers: stringMap,
      use_http_11: flag,
      force: flag,
      breaking: flag,
      dry_run: flag,
      metadata: stringMap,
    },
  },
} as const;

const deploymentParams = { type: "object", required: ["deployment"], properties: { deployment: { type: "string" } } } as const;
const serviceParams = { type: "object", required: ["service"], properties: { service: { type: "string" } } } as const;
const handlerParams = {
  type: "object",
  required: ["service", "handler"],
  properties: { service: { type: "string" }, handler: { type: "string" } },
} as const;

/** The routes of one API version; registered once per prefix. */
function routes(options: AdminPluginOptions): FastifyPluginAsync {
  const { registry, serviceDefaults: defaults } = options;
  const discover = options.discover ?? defaultDiscover;

  return async (app: FastifyInstance) => {
    const declared = collectRoutes(app);
    const documented = collectDocumentedRoutes(app);
    if (options.refreshRegistry !== undefined) freshRegistryFirst(app, options.refreshRegistry);
    let openApi: unknown;
    // Built on first use: every route is declared by then.
    app.get("/openapi", { config: { openapi: false } }, async () => (openApi ??= adminOpenApi(documented, options.versionInfo.version)));

    app.get("/health", async (_request, reply) => {
      const problem = options.health?.();
      return problem === undefined ? reply.status(200).send() : reply.status(503).send(unhealthyBody(problem));
    });

    app.get("/version", async () => ({
      version: options.versionInfo.version,
      min_admin_api_version: MIN_ADMIN_API_VERSION,
      max_admin_api_version: MAX_ADMIN_API_VERSION,
      ingress_endpoint: options.versionInfo.ingressEndpoint ?? null,
      features: { ...(options.versionInfo.features ?? {}) },
    }));

    app.post<{ Body: RegisterBody }>("/deployments", { schema: registerSchema }, async (request, reply) => {
      const body = request.body ?? {};
      if (body.arn !== undefined) {
        throw invalidField("arn", "Lambda deployments are not supported by stet; register an http(s) uri");
      }
      if (body.uri === undefined) throw invalidField("uri", "a uri (the http(s) address of the SDK endpoint) is required");
      try {
        parseDeploymentUri(body.uri);
      } catch (error) {
        throw invalidField("uri", (error as Error).message);
      }
      const additionalHeaders = checkHeaders(body.additional_headers);
      const discovered = await discover(body.uri, {
        ...options.discovery,
        additionalHeaders,
        useHttp11: body.use_http_11 === true,
      });
      const result = await registry.register(discovered, {
        force: body.force === true,
        breaking: body.breaking === true,
        dryRun: body.dry_run === true,
        additionalHeaders,
        metadata: body.metadata ?? {},
      });
      return reply
        .status(result.outcome === "created" ? 201 : 200)
        .header("location", `deployments/${result.deployment.id}`)
        .send(registerDeploymentJson(result.deployment, defaults));
    });

    app.get("/deployments", async () => ({ deployments: registry.listDeployments().map(deploymentJson) }));

    app.get<{ Params: { deployment: string } }>("/deployments/:deployment", { schema: { params: deploymentParams } }, async (request) => {
      const id = parseDeploymentId(request.params.deployment);
      const deployment = registry.getDeployment(id);
      if (deployment === undefined) throw deploymentNotFound(id);
      return detailedDeploymentJson(deployment, defaults);
    });

    app.delete<{ Params: { deployment: string }; Querystring: { force?: boolean } }>(
      "/deployments/:deployment",
      { schema: { params: deploymentParams, querystring: { type: "object", properties: { force: { type: "boolean" } } } } },
      async (request, reply) => {
        const id = parseDeploymentId(request.params.deployment);
        // Restate 1.7.12 has no graceful removal: without force=true it answers 501 with an empty
        // body, for any well-formed id, known or not.
        if (request.query.force !== true) return reply.status(501).send();
        if (registry.getDeployment(id) === undefined) {
          throw new RegistryError(RegistryErrorCode.DeploymentNotFound, `not found in the schema registry: deployment with id '${id}'`);
        }
        await registry.removeDeployment(id, { force: true });
        return reply.status(202).send();
      },
    );

    registerDeploymentUpdateRoutes(app, { registry, discover, discovery: options.discovery, defaults });

    app.get("/services", async () => ({
      services: registry.listServices().map((s) => serviceMetadata(s, registry.getDeployment(s.deploymentId)!.protocolMode, defaults)),
    }));

    app.get<{ Params: { service: string } }>("/services/:service", { schema: { params: serviceParams } }, async (request) => {
      const service = registry.getService(request.params.service);
      if (service === undefined) throw serviceNotFound(request.params.service);
      return serviceMetadata(service, registry.getDeployment(service.deploymentId)!.protocolMode, defaults);
    });

    if (options.metrics !== undefined) metricsRoute(app, options.metrics);
    if (options.query !== undefined) registerQueryRoute(app, options.query);

    // Declared before the 405 pass, so PATCH is among the methods `/services/:service` allows.
    registerServiceRoutes(app, registry, defaults);
    if (options.state !== undefined) registerStateRoutes(app, registry, options.state);

    app.get<{ Params: { service: string } }>("/services/:service/openapi", { schema: { params: serviceParams } }, async (request) => {
      const service = registry.getService(request.params.service);
      if (service === undefined) throw serviceNotFound(request.params.service);
      return ingressOpenApi(service, options.versionInfo.ingressEndpoint ?? null);
    });

    app.get<{ Params: { service: string } }>("/services/:service/handlers", { schema: { params: serviceParams } }, async (request) => {
      const service = registry.getService(request.params.service);
      if (service === undefined) throw serviceNotFound(request.params.service);
      const mode = registry.getDeployment(service.deploymentId)!.protocolMode;
      return { handlers: service.definition.handlers.map((h) => handlerMetadata(h, service.definition, mode)) };
    });

    app.get<{ Params: { service: string; handler: string } }>(
      "/services/:service/handlers/:handler",
      { schema: { params: handlerParams } },
      async (request) => {
        const { service: name, handler: handlerName } = request.params;
        const service = registry.getService(name);
        if (service === undefined) throw serviceNotFound(name);
        const handler = service.definition.handlers.find((h) => h.name === handlerName);
        if (handler === undefined) throw handlerNotFound(name, handlerName);
        return handlerMetadata(handler, service.definition, registry.getDeployment(service.deploymentId)!.protocolMode);
      },
    );

    registerSubscriptionRoutes(app, registry);

    // Registered (awaited) before the 405 pass so that its paths answer other methods with 405 too.
    if (options.invocations !== undefined) {
      const routesOptions = { invocations: options.invocations, deployments: registry, forwarder: options.forwarder };
      await app.register(invocationRoutes, routesOptions);
      await app.register(invocationBatchRoutes, routesOptions);
    }
    answerOtherMethodsWith405(app, declared);
  };
}

// Routes that read or change the registry: lists as well as lookups, so a list shows what another
// node registered a moment ago, and a lookup does not answer 404 for it.
const REGISTRY_ROUTE = /^\/(?:deployments|services)(?:\/|$)/;

/** Refreshes the registry before each registry route runs (after its request was validated). */
function freshRegistryFirst(app: FastifyInstance, refresh: () => Promise<unknown>): void {
  app.addHook("preHandler", async (request) => {
    if (REGISTRY_ROUTE.test(request.routeOptions.url ?? "")) await refresh();
  });
}

/** The methods of every route declared in `app` from now on, by path (without the prefix); wildcards left out. */
function collectRoutes(app: FastifyInstance): Map<string, Set<string>> {
  const declared = new Map<string, Set<string>>();
  app.addHook("onRoute", (route) => {
    if (route.routePath.includes("*")) return;
    const methods = declared.get(route.routePath) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    declared.set(route.routePath, methods);
  });
  return declared;
}

// OPTIONS stays with the not-found handler (a CORS layer would answer it).
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"] as const;

/** A known path asked with another method answers 405 with an `allow` header, as Restate does, not 404. */
function answerOtherMethodsWith405(app: FastifyInstance, declared: ReadonlyMap<string, ReadonlySet<string>>): void {
  for (const [path, methods] of [...declared]) {
    const allowed = METHODS.filter((m) => methods.has(m));
    const others = METHODS.filter((m) => !methods.has(m) && !app.hasRoute({ method: m, url: app.prefix + path }));
    if (others.length === 0) continue;
    app.route({
      method: others,
      url: path,
      exposeHeadRoute: false,
      config: { openapi: false },
      handler: async (request, reply) => {
        void reply.header("allow", allowed.join(", "));
        throw methodNotAllowed(request.method, request.originalUrl.split("?")[0] ?? path, allowed);
      },
    });
  }
}

/**
 * Restate 1.7's admin routes for deployments, services, handlers, invocations, health and version, answered
 * unprefixed and under `/v2`…`/v4`. Errors answer with Restate's `{message, restate_code}` body.
 */
export const adminPlugin: FastifyPluginAsync<AdminPluginOptions> = async (app, options) => {
  app.setErrorHandler(forwardingErrorHandler(options.forwarder, "admin", adminErrorHandler));
  // `/v2/…` to `/v4/…` reach these same routes through `withoutApiVersion` (the app's rewriteUrl):
  // registering the whole set once per version quadrupled the routes to build at startup.
  await app.register(routes(options));
  for (let v = 0; v < MIN_ADMIN_API_VERSION; v++) {
    app.all(`/v${v}/*`, async () => {
      throw new AdminError(
        AdminErrorCode.UnsupportedApiVersion,
        `Unsupported Admin API version V${v}. This server supports versions between V${MIN_ADMIN_API_VERSION} and V${MAX_ADMIN_API_VERSION}.`,
      );
    });
  }
};

const VERSION_PREFIX = /^\/v(\d+)(?=[/?]|$)/;

/**
 * A request URL with a supported API version prefix removed (`/v3/services?x` → `/services?x`), so that
 * versioned paths reach the unversioned routes; other URLs (unsupported versions too) unchanged. The
 * admin app's `rewriteUrl`.
 */
export function withoutApiVersion(url: string): string {
  const match = VERSION_PREFIX.exec(url);
  if (match === null) return url;
  const version = Number(match[1]);
  if (version < MIN_ADMIN_API_VERSION || version > MAX_ADMIN_API_VERSION) return url;
  const rest = url.slice(match[0].length);
  return rest.startsWith("/") ? rest : `/${rest}`;
}
