import Fastify, { type FastifyBaseLogger } from "fastify";
import { pino, type Logger } from "pino";
import { Invoker, type InvokerEvent } from "../invoker/index.js";
import { setMaxListeners } from "node:events";
import path from "node:path";
import { LeaseLostError, PartitionSet, type ProcessorEvent } from "../partition/index.js";
import { toError } from "../protocol/errors.js";
import type { ProtocolVersion } from "../protocol/index.js";
import { DataDirInUseError } from "./config-errors.js";
import os from "node:os";
import { advertisedHost, SETTINGS, type StetConfig } from "./config.js";
import { inspectDataDir, openDataDir, type OpenedDataDir } from "./data-dir.js";
import { lockDataDir } from "./data-dir-lock.js";
import { recordOwner } from "./data-dir-owner.js";
import { DEFAULT_IDLE_GRACE_MS, HttpListener, LISTEN_ERROR_CODES, ListenError } from "./http/http-listener.js";
import { ingressCors } from "./ingress/cors.js";
import { ingressClientErrorHandler, ingressFrameworkErrors, writeIngressUnavailable } from "./ingress/ingress-errors.js";
import { ingressPlugin, type IngressRegistry } from "./ingress/ingress-plugin.js";
import { buildAdminApp, defaultWebUiRoot, writeAdminUnavailable } from "./admin/index.js";
import { lazySchemaController } from "./http/lazy-schema-compilers.js";
import { requestLogController } from "./http/request-log.js";
import { DeploymentRegistry } from "./registry/index.js";
import { registryViews } from "./registry-views.js";
import { logInvokerEvent } from "./invocation-log.js";
import { openNodeStorage } from "./node-storage.js";
import { RepeatedFailureLog } from "./repeated-failure-log.js";
import { countIngressRequests, EngineStats, PrometheusEndpoint } from "./metrics/index.js";
import { LeaderMap, NodeAnnouncer, RequestForwarder } from "./routing/index.js";

/** How often a cluster node reloads the registry when another node changed it. */
const REGISTRY_REFRESH_MS = 1_000;

export interface StetNodeOptions {
  readonly logger?: Logger;
  readonly onInvokerEvent?: (event: InvokerEvent) => void;
  readonly onPartitionEvent?: (event: ProcessorEvent) => void;
  /** Overrides for tests: lease length (else the configuration's), invoker knobs. */
  readonly leaseTtlMs?: number;
  readonly drainTimeoutMs?: number;
  /** How often expired completed invocations are deleted, in ms. Default 5 s. */
  readonly expiryIntervalMs?: number;
  /** Highest service protocol version offered to deployments (5–7). Default 6, as Restate 1.7. */
  readonly maxProtocolVersion?: ProtocolVersion;
  /**
   * How long shutdown keeps a client's idle keep-alive connection open, in ms, so that a request already
   * on its way gets a 503 rather than a reset. Default 250 ms, at most a quarter of the shutdown timeout.
   */
  readonly idleConnectionGraceMs?: number;
  /** Time limit of one `POST /query`, in ms. Default 60 s. */
  readonly queryLimitMs?: number;
  /** How long a cluster node reuses what it read of the partitions' leaders, in ms. Default 1 s. */
  readonly leaderMapMaxAgeMs?: number;
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
 * The composition root: binds both ports, opens the data folder and storage, builds the partitions, the
 * invoker, the registry and both HTTP apps, and starts them. Cleanups run in reverse order of creation.
 */
export async function startStetNode(config: StetConfig, options: StetNodeOptions = {}): Promise<StetNode> {
  const log = options.logger ?? pino({ level: config.logLevel });
  // Ports first: one that cannot be bound fails the start before the data folder is created or opened.
  const [ingressPort, adminPort] = await bindPorts(config).catch((error: unknown) => {
    throw whoHoldsThePort(error, config.dataDir);
  });
  const idleGraceMs = options.idleConnectionGraceMs ?? Math.min(DEFAULT_IDLE_GRACE_MS, config.shutdownTimeoutMs / 4);
  const cleanups: Array<() => Promise<unknown> | void> = [() => Promise.all([ingressPort.close(idleGraceMs), adminPort.close(idleGraceMs)])];
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
    // In a cluster the partition count is the cluster's (kept in its database), not the folder's.
    const dataDir = openDataDir(config.dataDir, config.store === undefined ? { partitions: config.partitions } : {});
    const lock = lockDataDir(dataDir.dir, "start");
    cleanups.push(() => lock.release());
    // While the store is unreachable every retry fails the same way: each kind is logged now and then.
    const outageLog = new RepeatedFailureLog(log);
    const storage = await openNodeStorage(config, dataDir, (unavailable) => {
      outageLog.reset();
      if (unavailable !== undefined) log.error({ err: unavailable }, "store unavailable: requests get 503 until it answers again");
      else log.info("store available again");
    });
    /** Failures while the store is known to be down are its consequence: logged now and then, not each. */
    const reportFailure = (message: string, error: Error) => {
      if (storage.unavailable() !== undefined) outageLog.failed(message, error);
      // Another node took a partition over (this one was paused, or cut off): expected in a cluster,
      // and the partition is stepped down already.
      else if (error instanceof LeaseLostError || error.cause instanceof LeaseLostError) log.warn({ err: error }, message);
      else log.error({ err: error }, message);
    };
    cleanups.push(() => storage.close());
    cleanups.push(recordOwner(dataDir.dir, { ingressUrl: ingressPort.url, adminUrl: adminPort.url }));

    // Plain numbers the engine bumps as it works; prom-client is loaded by the first scrape of /metrics.
    const stats = new EngineStats();
    const registry = await DeploymentRegistry.open(storage.registry);
    if (storage.kind === "postgres") {
      // Other nodes of the cluster register deployments too: pick their changes up (a version check
      // when nothing changed).
      const refresh = setInterval(() => {
        registry.refresh().catch((error: unknown) => reportFailure("registry refresh failed", toError(error)));
      }, REGISTRY_REFRESH_MS);
      refresh.unref();
      cleanups.push(() => clearInterval(refresh));
    }
    // A lookup that misses asks the store again first: another node may have just registered the service.
    const refreshRegistry = storage.kind === "postgres" ? () => registry.refresh() : undefined;
    const views = registryViews(registry);
    const ttlMs = options.leaseTtlMs ?? config.leaseTtlMs;
    const nodes = storage.nodes;
    const partitions = new PartitionSet({
      store: storage.partitions,
      leases: storage.leases,
      services: views,
      partitionCount: storage.partitionCount,
      holder: dataDir.settings.nodeId,
      leaseTtlMs: ttlMs,
      // A cluster spreads its partitions over the nodes that announced themselves within a lease (three
      // heartbeats), the same window the forwarding uses.
      members: nodes === undefined ? undefined : { liveNodes: () => nodes.liveNodes(ttlMs) },
      expiryIntervalMs: options.expiryIntervalMs,
      onEvent: (event) => {
        log.debug(event, "partition event");
        options.onPartitionEvent?.(event);
      },
      onError: (error) => reportFailure("partition work failed", error),
      stats,
    });
    cleanups.push(() => partitions.close());
    const invoker = new Invoker({
      sink: partitions,
      journal: partitions,
      resolveTarget: (service, handler, pinnedDeploymentId) => views.resolveTarget(service, handler, pinnedDeploymentId),
      spillDir: dataDir.spillDir,
      drainTimeoutMs: options.drainTimeoutMs,
      maxProtocolVersion: options.maxProtocolVersion,
      onEvent: (event) => {
        logInvokerEvent(log, event);
        stats.invokerEvent(event);
        options.onInvokerEvent?.(event);
      },
    });
    cleanups.push(() => invoker.close());
    await partitions.start(invoker);

    const shutdown = new AbortController();
    // Every waiting caller and forwarded request listens for it: thousands at once are normal, not a leak.
    setMaxListeners(0, shutdown.signal);
    // A cluster node serves every partition: requests for those another node leads go to that node.
    const forwarder =
      storage.nodes === undefined
        ? undefined
        : new RequestForwarder({
            self: dataDir.settings.nodeId,
            shutdown: shutdown.signal,
            onForwarded: (forwarded) => stats.forwarded(forwarded.api, forwarded.outcome),
            leaders: new LeaderMap({
              source: storage.nodes,
              self: dataDir.settings.nodeId,
              maxAgeMs: options.leaderMapMaxAgeMs,
              // A node that missed three heartbeats is gone even if its leases have not expired yet.
              liveWithinMs: ttlMs,
            }),
          });
    if (forwarder !== undefined) cleanups.push(() => forwarder.close());
    const ingress = Fastify({
      loggerInstance: log.child({ api: "ingress" }) as FastifyBaseLogger,
      logController: requestLogController,
      serverFactory: ingressPort.serverFactory,
      schemaController: lazySchemaController(),
      // Requests refused before a route runs (bad percent-encoding, oversized headers) answer in Restate's shape.
      frameworkErrors: ingressFrameworkErrors,
      clientErrorHandler: ingressClientErrorHandler,
    });
    countIngressRequests(ingress, stats);
    await ingress.register(ingressCors);
    await ingress.register(ingressPlugin, {
      registry: views satisfies IngressRegistry,
      engine: partitions,
      shutdown: shutdown.signal,
      health: () => storage.unavailable(),
      forwarder,
      refreshRegistry,
    });
    // Started by the first query; closed after the admin app, so no query is left waiting.
    const queries = storage.queries(() => invoker.liveInvocationStates(), options.queryLimitMs);
    cleanups.push(() => queries.close());
    // After ingress, so that `GET /version` can report where it listens (as Restate's does).
    const admin = buildAdminApp({
      query: queries,
      health: () => storage.unavailable(),
      registry,
      invocations: partitions,
      state: partitions,
      logger: log.child({ api: "admin" }),
      ingressUrl: `${ingressPort.url}/`,
      serverFactory: adminPort.serverFactory,
      webUi: { root: defaultWebUiRoot() },
      forwarder,
      refreshRegistry,
      metrics: new PrometheusEndpoint({
        stats,
        invoker,
        partitions: { partitionCount: partitions.partitionCount, epochOf: (p) => partitions.processor(p)?.epoch ?? null },
        timersPending: () => partitions.store.timers.count(),
        dbFile: dataDir.dbFile,
      }),
    });
    await Promise.all([ingress.ready(), admin.ready()]);
    cleanups.push(() => Promise.all([ingress.close(), admin.close()]));
    // First step of a shutdown: no new requests (they get a 503), waiting callers get theirs, and the
    // requests under way finish while the engine still runs.
    cleanups.push(() => {
      shutdown.abort();
      return Promise.all([ingressPort.drain(), adminPort.drain()]);
    });

    if (storage.nodes !== undefined) {
      // Announced once both apps answer; withdrawn first on the way out, so no node forwards to a
      // stopping one (it answers 503 from then on, and clients retry elsewhere).
      const host = advertisedHost(config, os.hostname);
      const shown = host.includes(":") ? `[${host}]` : host;
      const announcer = new NodeAnnouncer({
        roster: storage.nodes,
        node: { nodeId: dataDir.settings.nodeId, ingressUrl: `http://${shown}:${ingressPort.port}`, adminUrl: `http://${shown}:${adminPort.port}` },
        everyMs: Math.max(100, Math.floor(ttlMs / 3)),
        onError: (error) => reportFailure("node heartbeat failed", error),
      });
      await announcer.start();
      cleanups.push(() => announcer.close());
    }

    const ingressUrl = ingressPort.url;
    const adminUrl = adminPort.url;
    log.info({ ingressUrl, adminUrl, dataDir: dataDir.dir, partitions: storage.partitionCount, store: storage.kind }, "stet is ready");
    return { dataDir, ingressUrl, adminUrl, partitions, invoker, registry, close: runCleanups };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

async function bindPorts(config: StetConfig): Promise<[HttpListener, HttpListener]> {
  const ingress = await HttpListener.bind({
    role: "ingress",
    host: config.host,
    port: config.ingressPort,
    portSetting: SETTINGS.ingressPort,
    unavailable: writeIngressUnavailable,
    // A client that sends headers and then stalls its body must not hold a connection forever; this
    // bounds receiving the request only, not waiting for an invocation's outcome.
    requestTimeoutMs: 60_000,
  });
  try {
    const admin = await HttpListener.bind({
      role: "admin",
      host: config.host,
      port: config.adminPort,
      portSetting: SETTINGS.adminPort,
      unavailable: writeAdminUnavailable,
    });
    return [ingress, admin];
  } catch (error) {
    await ingress.close(0);
    throw error;
  }
}

/**
 * A port in use is most often held by a stet already running on the same data folder: say that instead
 * (it names the process). Probes the folder's lock only on this error path.
 */
function whoHoldsThePort(error: unknown, dir: string): unknown {
  if (!(error instanceof ListenError) || error.code !== LISTEN_ERROR_CODES.portInUse) return error;
  const abs = path.resolve(dir);
  try {
    if (inspectDataDir(abs) === "stet") lockDataDir(abs, "start", { probe: true }).release();
  } catch (probeError) {
    if (probeError instanceof DataDirInUseError) return probeError;
  }
  return error;
}

