import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from "fastify";
import { adminErrorHandler, adminFrameworkErrors } from "./admin-errors.js";
import { reportedVersion } from "../version.js";
import { lazySchemaController } from "../http/lazy-schema-compilers.js";
import { requestLogController } from "../http/request-log.js";
import { adminPlugin, withoutApiVersion, type AdminPluginOptions, type AdminVersionInfo } from "./admin-plugin.js";
import { webUiRoutes, type WebUiRoutesOptions } from "./web-ui-routes.js";
import { forwardingErrorHandler, keepRawBodies } from "../routing/index.js";

export { adminPlugin, MAX_ADMIN_API_VERSION, MIN_ADMIN_API_VERSION } from "./admin-plugin.js";
export type { AdminPluginOptions, AdminVersionInfo } from "./admin-plugin.js";
export { AdminError, AdminErrorCode, adminErrorHandler, writeAdminUnavailable, type ErrorDescriptionJson } from "./admin-errors.js";
export * from "./deployment-view.js";
export * from "./service-view.js";
export { invocationRoutes, invocationNotFound, type InvocationControl, type InvocationRoutesOptions } from "./invocation-routes.js";
export { invocationJson, invocationTarget, type InvocationJson } from "./invocation-view.js";
export { friendlyDuration } from "./friendly-duration.js";
export { defaultWebUiRoot } from "./web-ui-files.js";

export interface AdminAppOptions extends Omit<AdminPluginOptions, "versionInfo"> {
  /** Logger of the app; none by default. */
  readonly logger?: FastifyBaseLogger;
  /** Ingress URL reported by `GET /version` (`ingress_endpoint`). */
  readonly ingressUrl?: string;
  /** Overrides of the version report; `version` defaults to stet's package version. */
  readonly versionInfo?: Partial<AdminVersionInfo>;
  /** The server the app serves (fastify's `serverFactory`); without it, `listen` makes one. */
  readonly serverFactory?: FastifyServerOptions["serverFactory"];
  /** Serves the built web UI at `/ui/`; absent without it. */
  readonly webUi?: WebUiRoutesOptions;
}

/**
 * The admin HTTP app (Restate 1.7's admin API subset), ready to `listen` or `inject`. Library code
 * never listens: the composition root binds the port (server/http/http-listener.ts) and closes it.
 */
export function buildAdminApp(options: AdminAppOptions): FastifyInstance {
  const app = Fastify({
    ...(options.logger === undefined ? {} : { loggerInstance: options.logger }),
    logController: requestLogController,
    ...(options.serverFactory === undefined ? { forceCloseConnections: true } : { serverFactory: options.serverFactory }),
    schemaController: lazySchemaController(),
    rewriteUrl: (request) => withoutApiVersion(request.url ?? "/"),
    // Requests refused before any route runs answer in the admin error shape, not fastify's.
    frameworkErrors: adminFrameworkErrors,
  });
  app.setErrorHandler(forwardingErrorHandler(options.forwarder, "admin", adminErrorHandler));
  // A forwarded request carries the bytes the client sent, not a re-serialization of the parsed JSON.
  if (options.forwarder !== undefined) keepRawBodies(app);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ message: `no admin route ${request.method} ${request.originalUrl}`, restate_code: null });
  });
  const { logger: _logger, ingressUrl, versionInfo, serverFactory: _serverFactory, webUi, ...plugin } = options;
  if (webUi !== undefined) void app.register(webUiRoutes, webUi);
  void app.register(adminPlugin, {
    ...plugin,
    versionInfo: {
      version: versionInfo?.version ?? reportedVersion(),
      ingressEndpoint: versionInfo?.ingressEndpoint ?? ingressUrl ?? null,
      ...(versionInfo?.features === undefined ? {} : { features: versionInfo.features }),
    },
  });
  return app;
}

export { stetVersion } from "../version.js";
