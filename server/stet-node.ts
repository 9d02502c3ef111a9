import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { AddressInfo } from "node:net";
import { pino, type Logger } from "pino";
import { Invoker, type InvokerEvent } from "../invoker/index.js";
import { openDatabase, PartitionSet, type ProcessorEvent } from "../partition/index.js";
import { toError } from "../protocol/errors.js";
import type { ProtocolVersion } from "../protocol/index.js";
import type { StetConfig } from "./config.js";
import { openDataDir, type OpenedDataDir } from "./data-dir.js";
import { ingressCors } from "./ingress/cors.js";
import { ingressClientErrorHandler, ingressFrameworkErrors } from "./ingress/ingress-errors.js";
import { ingressPlugin, type IngressRegistry } from "./ingress/ingress-plugin.js";
import { buildAdminApp } from "./admin/index.js";
import { lazySchemaController } from "./http/lazy-schema-compilers.js";
import { requestLogController } from "./http/request-log.js";
import { DeploymentRegistry } from "./registry/index.js";
import { registryViews } from "./registry-views.js";
import { logInvokerEvent } from "./invocation-log.js";

export interface StetNodeOptions {
  readonly logger?: Logger;
  readonly onInvokerEvent?: (event: InvokerEvent) => void;
  readonly onPartitionEvent?: (event: ProcessorEvent) => void;
  /** Overrides for tests: lease length, invoker knobs. */
  readonly leaseTtlMs?: number;
  readonly drainTimeoutMs?: number;
  /** How often expired completed invocations are deleted, in ms. Default 5 s. */
  readonly expiryIntervalMs?: number;
  /** Highest service protocol version offered to deployments (5–7). Default 6, as Restate 1.7. */
  readonly maxProtocolVersion?: ProtocolVersion;
}

export interface StetNode {
  readonly dataDir: OpenedDataDir;
  readonly ingressUrl: string;
  readonly adminUrl: string;
  readonly partitions: PartitionSet;
  readonly invoker: Invoker;
  readonly registry: DeploymentRegistry;
  /** Graceful shutdown in DESIGN.md order; the caller bounds it with the shutdown deadline. Idempotent. */
  close(): Promise<void>;
}

/**
 * The composition root: opens the data folder and storage, builds the partitions, the invoker, the
 * registry and both HTTP apps, and starts them. Cleanups run in reverse order of creation.
 */
export async function startStetNode(config: StetConfig, options: StetNodeOptions = {}): Promise<StetNode> {
  const log = options.logger ?? pino({ level: config.logLevel });
  const dataDir = openDataDir(config.dataDir, { partitions: config.partitions });
  const db = openDatabase(dataDir.dbFile);
  const cleanups: Array<() => Promise<void> | void> = [() => void db.close()];
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log.error({ err: toError(error) }, "shutdown step failed");
      }
    }
  };

  try {
    // Each component migrates its own tables when it is built; building them in one transaction commits
    // every migration step together: one fsync on a new data folder instead of one per step.
    const { registry, views, partitions } = db.transaction(() => {
      const registry = new DeploymentRegistry(db);
      const views = registryViews(registry);
      const partitions = new PartitionSet({
        db,
        services: views,
        partitionCount: dataDir.settings.partitions,
        holder: dataDir.settings.nodeId,
        leaseTtlMs: options.leaseTtlMs,
        expiryIntervalMs: options.expiryIntervalMs,
        onEvent: (event) => {
          log.debug(event, "partition event");
          options.onPartitionEvent?.(event);
        },
        onError: (error) => log.error({ err: error }, "post-commit action failed"),
      });
      return { registry, views, partitions };
    })();
    cleanups.push(() => partitions.close());
    const invoker = new Invoker({
      sink: partitions,
      journal: partitions,
      resolveTarget: (service, handler) => views.resolveTarget(service, handler),
      spillDir: dataDir.spillDir,
      drainTimeoutMs: options.drainTimeoutMs,
      maxProtocolVersion: options.maxProtocolVersion,
      onEvent: (event) => {
        logInvokerEvent(log, event);
        options.onInvokerEvent?.(event);
      },
    });
    cleanups.push(() => invoker.close());
    partitions.start(invoker);

    const ingress = Fastify({
      loggerInstance: log.child({ api: "ingress" }) as FastifyBaseLogger,
      logController: requestLogController,
      forceCloseConnections: true,
      // A client that sends headers and then stalls its body must not hold a connection forever; this
      // bounds receiving the request only, not waiting for an invocation's outcome.
      requestTimeout: 60_000,
      schemaController: lazySchemaController(),
      // Requests refused before a route runs (bad percent-encoding, oversized headers) answer in Restate's shape.
      frameworkErrors: ingressFrameworkErrors,
      clientErrorHandler: ingressClientErrorHandler,
    });
    await ingress.register(ingressCors);
    await ingress.register(ingressPlugin, {
      registry: views satisfies IngressRegistry,
      engine: partitions,
    });
    cleanups.push(() => ingress.close());
    const ingressUrl = await listen(ingress, config.host, config.ingressPort);

    // After ingress, so that `GET /version` can report where it listens (as Restate's does).
    const admin = buildAdminApp({ registry, invocations: partitions, logger: log.child({ api: "admin" }), ingressUrl: `${ingressUrl}/` });
    cleanups.push(() => admin.close());
    const adminUrl = await listen(admin, config.host, config.adminPort);
    log.info({ ingressUrl, adminUrl, dataDir: dataDir.dir, partitions: dataDir.settings.partitions }, "stet is ready");

    return { dataDir, ingressUrl, adminUrl, partitions, invoker, registry, close: runCleanups };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return `http://${shownHost}:${address.port}`;
}
