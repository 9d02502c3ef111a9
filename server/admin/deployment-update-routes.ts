import type { FastifyInstance } from "fastify";
import { parseDeploymentId } from "../../protocol/index.js";
import { parseDeploymentUri, type discover as discoverFn, type DiscoverOptions } from "../discovery/index.js";
import { deploymentNotFound, type DeploymentRegistry, type ServiceDefaults } from "../registry/index.js";
import { AdminError, AdminErrorCode, invalidField } from "./admin-errors.js";
import { detailedDeploymentJson } from "./deployment-view.js";
import { checkHeaders } from "./request-headers.js";

export interface DeploymentUpdateRoutesOptions {
  readonly registry: DeploymentRegistry;
  readonly discover: typeof discoverFn;
  readonly discovery: Omit<DiscoverOptions, "additionalHeaders" | "useHttp11"> | undefined;
  readonly defaults: ServiceDefaults | undefined;
}

/** Restate's `UpdateDeploymentRequest` (the HTTP variant; a Lambda `arn` is refused as on registration). */
interface UpdateBody {
  uri?: string | null;
  arn?: string | null;
  additional_headers?: Record<string, string> | null;
  use_http_11?: boolean | null;
  overwrite?: boolean | null;
  dry_run?: boolean | null;
}

const flag = { type: ["boolean", "null"] } as const;
const updateSchema = {
  params: { type: "object", required: ["deployment"], properties: { deployment: { type: "string" } } },
  body: {
    type: "object",
    properties: {
      uri: { type: ["string", "null"] },
      arn: { type: ["string", "null"] },
      assume_role_arn: { type: ["string", "null"] },
      additional_headers: { type: ["object", "null"], additionalProperties: { type: "string" } },
      use_http_11: flag,
      overwrite: flag,
      dry_run: flag,
    },
  },
} as const;

type UpdateRequest = { Params: { deployment: string }; Body: UpdateBody | undefined };

/**
 * `PATCH /deployments/{id}`: discovers the deployment again, at a new uri or with new headers if given,
 * and answers the deployment as `GET` shows it (200), as Restate 1.7.12 does. Without `overwrite` only
 * the connection details change (uri, headers, transport, protocol range, SDK version) and the services
 * stay as registered; with it, the services become the discovered ones. A discovery failure answers
 * like a registration's. `PUT` is the deprecated form: served under `/v2`, 405 elsewhere.
 */
export function registerDeploymentUpdateRoutes(app: FastifyInstance, options: DeploymentUpdateRoutesOptions): void {
  const { registry, defaults } = options;

  const update = async (request: { params: { deployment: string }; body: UpdateBody | undefined }) => {
    const id = parseDeploymentId(request.params.deployment);
    const existing = registry.getDeployment(id);
    if (existing === undefined) throw deploymentNotFound(id);
    const body = request.body ?? {};
    if (body.arn !== undefined && body.arn !== null) {
      throw invalidField("arn", "Lambda deployments are not supported by stet; update with an http(s) uri");
    }
    const uri = body.uri ?? existing.uri;
    try {
      parseDeploymentUri(uri);
    } catch (error) {
      throw invalidField("uri", (error as Error).message);
    }
    const additionalHeaders = body.additional_headers === undefined || body.additional_headers === null ? undefined : checkHeaders(body.additional_headers);
    const discovered = await options.discover(uri, {
      ...options.discovery,
      additionalHeaders: additionalHeaders ?? existing.additionalHeaders,
      useHttp11: body.use_http_11 ?? existing.httpVersion === 1,
    });
    const updated = await registry.updateDeployment(id, discovered, {
      ...(additionalHeaders === undefined ? {} : { additionalHeaders }),
      overwrite: body.overwrite === true,
      dryRun: body.dry_run === true,
    });
    return detailedDeploymentJson(updated, defaults);
  };

  app.patch<UpdateRequest>("/deployments/:deployment", { schema: updateSchema }, async (request) => update(request));

  app.put<UpdateRequest>("/deployments/:deployment", { schema: updateSchema }, async (request) => {
    // Restate answers this 405 without an `allow` header.
    if (!request.originalUrl.startsWith("/v2/")) {
      throw new AdminError(AdminErrorCode.MethodNotAllowed, "PUT deployment is deprecated, use PATCH instead");
    }
    return update(request);
  });
}
