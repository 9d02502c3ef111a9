import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { WebUiFiles } from "./web-ui-files.js";

export interface WebUiRoutesOptions {
  /** The folder `vite build` wrote (dist/ui of the package). */
  readonly root: string;
}

/**
 * The web UI at `/ui/` (static files, single-page fallback), with `/` and `/ui` redirecting there, as
 * Restate's admin port does. Only unprefixed: the app's rewriteUrl maps `/v4/ui/` onto `/ui/`, and the
 * UI is no versioned API, so those answer 404 as any unknown admin path does.
 */
export const webUiRoutes: FastifyPluginAsync<WebUiRoutesOptions> = async (app, options) => {
  const files = new WebUiFiles(options.root);

  const redirect = async (request: FastifyRequest, reply: FastifyReply) => {
    if (versioned(request)) return reply.callNotFound();
    return reply.redirect("/ui/", 308);
  };
  app.get("/", redirect);
  app.get("/ui", redirect);

  app.get<{ Params: { "*": string } }>("/ui/*", async (request, reply) => {
    if (versioned(request)) return reply.callNotFound();
    const found = await files.lookup(request.params["*"]);
    // 404s in the admin error shape, as every other admin path answers them.
    if (found.kind === "not-built") {
      return reply.status(404).send({ message: `The web UI is not built (no index.html in ${files.root}): run npm run build`, restate_code: null });
    }
    if (found.kind === "missing") return reply.status(404).send({ message: `no web UI file ${request.originalUrl}`, restate_code: null });
    const { file } = found;
    void reply.header("cache-control", file.cacheControl).header("etag", file.etag);
    if (request.headers["if-none-match"] === file.etag) return reply.status(304).send();
    return reply.type(file.contentType).send(file.body);
  });
};

/** Whether the request came in under an API version prefix (`/v3/ui/`), before the app's rewriteUrl. */
function versioned(request: FastifyRequest): boolean {
  return /^\/v\d+(?:[/?]|$)/.test(request.originalUrl);
}
