import { effectiveHandlerType, newDeploymentId, type DeploymentId } from "../../protocol/index.js";
import type { DiscoveredEndpoint } from "../discovery/discovery-client.js";
import { RegistryError, RegistryErrorCode, deploymentNotFound, serviceNotFound } from "./registry-errors.js";
import type { RegistryChange, RegistryContents, RegistryStore } from "./registry-store.js";
import { applyOverrides, mergeOverrides, type ServiceOverrides } from "./service-overrides.js";
import type {
  DeploymentRecord,
  DeploymentTarget,
  RegisterOptions,
  RegisterResult,
  ResolvedHandler,
  UpdateDeploymentOptions,
  ServiceRevision,
} from "./registry-types.js";

export interface DeploymentRegistryOptions {
  /** Milliseconds since the epoch; injected so tests control `createdAt`. */
  readonly now?: () => number;
  readonly newId?: () => DeploymentId;
}

/** The part of a discovery result the registry stores. */
export type DiscoveredDeployment = Pick<
  DiscoveredEndpoint,
  "uri" | "manifest" | "manifestVersion" | "protocolMode" | "httpVersion" | "minProtocolVersion" | "maxProtocolVersion" | "sdkVersion"
>;

/** The in-memory view, rebuilt from a full read of the store after every change; lookups never touch the store. */
interface Snapshot {
  readonly deployments: ReadonlyMap<string, DeploymentRecord>;
  readonly byUri: ReadonlyMap<string, DeploymentRecord>;
  /** Live revision of each service: the highest among the deployments providing it. */
  readonly services: ReadonlyMap<string, ServiceRevision>;
  readonly handlers: ReadonlyMap<string, ReadonlyMap<string, ResolvedHandler>>;
  /** Every deployment's own handlers, by deployment id then service: where pinned invocations run. */
  readonly pinnable: ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<string, ResolvedHandler>>>;
  readonly overrides: ReadonlyMap<string, ServiceOverrides>;
  /** The store's version this was read at. */
  readonly version: number;
}

/**
 * What a mutation decided from the snapshot: the change to write, if any, and its answer, taken once the
 * change is stored and the snapshot reloaded.
 */
interface Plan<T> {
  readonly change?: RegistryChange;
  readonly answer: () => T;
}

/**
 * Deployments and the services they provide, persisted through a `RegistryStore`. Modeled on
 * Restate 1.7: registering a URI again without `force` returns the stored deployment unchanged;
 * `force` overwrites it in place (same id); each deployment providing a service bumps its revision;
 * the newest revision serves invocations; deletion is forced only.
 *
 * Lookups are synchronous and answer from an in-memory snapshot: they are on the hot path of ingress and
 * invoker and never reach the store. Mutations are asynchronous: each resolves once its change is stored
 * and the snapshot reloaded (a mutation whose write was stored but whose reload failed rejects; the next
 * mutation or refresh reloads). They run one at a time, in call order, each deciding on the snapshot the
 * previous one left; `refresh()` queues behind them too.
 */
export class DeploymentRegistry {
  readonly #store: RegistryStore;
  readonly #now: () => number;
  readonly #newId: () => DeploymentId;
  #snapshot: Snapshot;
  /** Settles when the last queued mutation or refresh has; never rejects. */
  #tail: Promise<unknown> = Promise.resolve();
  /** A refresh queued and not started yet: later calls share it, it will see what they would. */
  #queuedRefresh: Promise<boolean> | undefined;

  /** Reads the whole registry from `store` once; lookups answer from memory from then on. */
  static async open(store: RegistryStore, options: DeploymentRegistryOptions = {}): Promise<DeploymentRegistry> {
    return new DeploymentRegistry(store, options, buildSnapshot(await store.read()));
  }

  private constructor(store: RegistryStore, options: DeploymentRegistryOptions, snapshot: Snapshot) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? newDeploymentId;
    this.#snapshot = snapshot;
  }

  /**
   * Reloads the snapshot when the store changed since it was read, which only another node sharing the
   * store (cluster mode) can do: a mutation through this registry reloads by itself. Resolves true when
   * it reloaded. Asks the store's version first, so that an unchanged registry costs one small read and
   * keeps its resolved handlers (and what `registryViews` derived from them).
   *
   * Nothing calls it on a single node. In cluster mode the node calls it on a timer, or when the store
   * notifies a change, so that a deployment registered through one node serves on all of them.
   */
  refresh(): Promise<boolean> {
    this.#queuedRefresh ??= this.#serially(async () => {
      this.#queuedRefresh = undefined;
      if ((await this.#store.version()) === this.#snapshot.version) return false;
      await this.#reload();
      return true;
    });
    return this.#queuedRefresh;
  }

  /**
   * Records a discovered deployment. Rejects with `STET_SERVICE_TYPE_CHANGED` (409) when a service would
   * change type without `breaking`/`force`; nothing is written then, nor on `dryRun`.
   */
  register(discovered: DiscoveredDeployment, options: RegisterOptions = {}): Promise<RegisterResult> {
    return this.#mutate(() => this.#planRegister(discovered, options));
  }

  #planRegister(discovered: DiscoveredDeployment, options: RegisterOptions): Plan<RegisterResult> {
    const uri = new URL(options.uri ?? discovered.uri).href;
    const existing = this.#snapshot.byUri.get(uri);
    if (existing !== undefined && options.force !== true) return { answer: () => ({ outcome: "unchanged", deployment: existing }) };

    const allowBreaking = options.force === true || options.breaking === true;
    const id = existing?.id ?? this.#newId();
    const services: ServiceRevision[] = discovered.manifest.services.map((definition) => {
      const live = this.#snapshot.services.get(definition.name);
      if (live !== undefined && live.ty !== definition.ty && !allowBreaking) {
        throw new RegistryError(
          RegistryErrorCode.ServiceTypeChanged,
          `detected a new service revision for '${definition.name}' changing the service type from ${live.ty} to ${definition.ty}; ` +
            "the service type cannot change across revisions unless the registration is breaking (breaking=true) or forced",
        );
      }
      return { name: definition.name, ty: definition.ty, revision: this.#highestRevision(definition.name) + 1, deploymentId: id, definition: structuredClone(definition) };
    });
    const deployment: DeploymentRecord = freezeDeep({
      id,
      uri,
      protocolMode: discovered.protocolMode,
      httpVersion: discovered.httpVersion,
      minProtocolVersion: discovered.minProtocolVersion,
      maxProtocolVersion: discovered.maxProtocolVersion,
      additionalHeaders: { ...(options.additionalHeaders ?? {}) },
      manifestVersion: discovered.manifestVersion,
      ...(discovered.sdkVersion === undefined ? {} : { sdkVersion: discovered.sdkVersion }),
      metadata: { ...(options.metadata ?? {}) },
      createdAt: this.#now(),
      services,
    });
    const outcome = existing === undefined ? "created" : "overwritten";
    if (options.dryRun === true) return { answer: () => ({ outcome, deployment }) };
    return { change: { putDeployments: [deployment] }, answer: () => ({ outcome, deployment: this.#stored(id) }) };
  }

  /**
   * Points a deployment at what a new discovery found (`PATCH /deployments/{id}`), as Restate 1.7.12
   * does: the id, creation time and metadata stay; the URI, transport, protocol range and SDK version
   * are the discovered ones; headers change when given. Its services stay as registered unless
   * `overwrite` replaces them with the discovered ones: services it already had keep their revision,
   * new ones take the next revision. Rejects with `STET_DEPLOYMENT_NOT_FOUND`, and `STET_DEPLOYMENT_URI_TAKEN`
   * when another deployment has the URI. Nothing is written on `dryRun`.
   */
  updateDeployment(id: string, discovered: DiscoveredDeployment, options: UpdateDeploymentOptions = {}): Promise<DeploymentRecord> {
    return this.#mutate(() => this.#planUpdate(id, discovered, options));
  }

  #planUpdate(id: string, discovered: DiscoveredDeployment, options: UpdateDeploymentOptions): Plan<DeploymentRecord> {
    const existing = this.#snapshot.deployments.get(id);
    if (existing === undefined) throw deploymentNotFound(id);
    const uri = new URL(discovered.uri).href;
    const holder = this.#snapshot.byUri.get(uri);
    if (holder !== undefined && holder.id !== id) {
      throw new RegistryError(
        RegistryErrorCode.DeploymentUriTaken,
        `the deployment '${holder.id}' is already registered at '${uri}'; stet keeps one deployment per uri, remove that one first`,
      );
    }
    const services: ServiceRevision[] =
      options.overwrite === true
        ? discovered.manifest.services.map((definition) => {
            const own = existing.services.find((s) => s.name === definition.name);
            const revision = own?.revision ?? this.#highestRevision(definition.name) + 1;
            return { name: definition.name, ty: definition.ty, revision, deploymentId: existing.id, definition: structuredClone(definition) };
          })
        : existing.services.map((s) => ({ ...s }));
    const { sdkVersion: _previousSdk, ...kept } = existing;
    const deployment: DeploymentRecord = freezeDeep({
      ...kept,
      uri,
      protocolMode: discovered.protocolMode,
      httpVersion: discovered.httpVersion,
      minProtocolVersion: discovered.minProtocolVersion,
      maxProtocolVersion: discovered.maxProtocolVersion,
      manifestVersion: discovered.manifestVersion,
      ...(discovered.sdkVersion === undefined ? {} : { sdkVersion: discovered.sdkVersion }),
      additionalHeaders: { ...(options.additionalHeaders ?? existing.additionalHeaders) },
      metadata: { ...existing.metadata },
      services,
    });
    if (options.dryRun === true) return { answer: () => deployment };
    const answer = () => this.#stored(id);
    if (options.overwrite === true) return { change: { putDeployments: [deployment], dropOrphanOverrides: true }, answer };
    // The services stay as stored: those of the snapshot have the overrides folded in.
    const { services: _kept, ...connection } = deployment;
    return { change: { putDeployments: [connection] }, answer };
  }

  /**
   * Removes a deployment and its service revisions; services it was the newest revision of fall back
   * to the next newest deployment, or disappear. Only forced removal exists, as in Restate 1.7.
   */
  removeDeployment(id: string, options: { force?: boolean } = {}): Promise<void> {
    return this.#mutate(() => this.#planRemove(id, options));
  }

  #planRemove(id: string, options: { force?: boolean }): Plan<void> {
    if (options.force !== true) {
      throw new RegistryError(
        RegistryErrorCode.DeleteNotForced,
        "only forced deletion of deployments is supported (force=true); it may break invocations in flight on this deployment",
      );
    }
    const existing = this.#snapshot.deployments.get(id);
    if (existing === undefined) throw deploymentNotFound(id);
    // A service that no longer exists loses its overrides: registering it anew starts from its manifest.
    return { change: { deleteDeployments: [existing.id], dropOrphanOverrides: true }, answer: () => undefined };
  }

  /**
   * Changes settings of a service (`PATCH /services/{name}`): merged over earlier changes, persisted, and
   * applied to all its revisions, present and future, from the next lookup on. Returns the live revision
   * with the overrides folded into its definition. Rejects with `STET_SERVICE_NOT_FOUND` for an unknown service.
   */
  modifyService(name: string, patch: ServiceOverrides): Promise<ServiceRevision> {
    return this.#mutate(() => {
      if (!this.#snapshot.services.has(name)) throw serviceNotFound(name);
      const merged = mergeOverrides(this.getServiceOverrides(name), patch);
      return {
        change: { setOverrides: new Map([[name, merged]]) },
        answer: () => this.#snapshot.services.get(name) ?? throwError(serviceNotFound(name)),
      };
    });
  }

  /** The settings changed through the admin API for `name`; empty when none. */
  getServiceOverrides(name: string): ServiceOverrides {
    return this.#snapshot.overrides.get(name) ?? {};
  }

  /** Every deployment, oldest first. */
  listDeployments(): readonly DeploymentRecord[] {
    return [...this.#snapshot.deployments.values()];
  }

  getDeployment(id: string): DeploymentRecord | undefined {
    return this.#snapshot.deployments.get(id);
  }

  getDeploymentByUri(uri: string): DeploymentRecord | undefined {
    return this.#snapshot.byUri.get(new URL(uri).href);
  }

  /** The live revision of every service, by name. */
  listServices(): readonly ServiceRevision[] {
    return [...this.#snapshot.services.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  getService(name: string): ServiceRevision | undefined {
    return this.#snapshot.services.get(name);
  }

  /** The handlers of the live revision of `service`, in manifest order; undefined if no such service. */
  getHandlers(service: string): readonly ResolvedHandler[] | undefined {
    const handlers = this.#snapshot.handlers.get(service);
    return handlers === undefined ? undefined : [...handlers.values()];
  }

  /** Hot path of ingress and invoker: a map lookup, no SQL. Null when the service or handler is unknown. */
  resolveHandler(service: string, handler: string): ResolvedHandler | null {
    return this.#snapshot.handlers.get(service)?.get(handler) ?? null;
  }

  /**
   * The handler as the deployment `deploymentId` declared it, whether or not that is the live revision
   * of its service: an invocation pinned to the deployment runs there. Null when the deployment is gone
   * or does not declare the handler. A map lookup, no SQL.
   */
  resolveHandlerIn(deploymentId: string, service: string, handler: string): ResolvedHandler | null {
    return this.#snapshot.pinnable.get(deploymentId)?.get(service)?.get(handler) ?? null;
  }

  #highestRevision(name: string): number {
    let highest = 0;
    for (const d of this.#snapshot.deployments.values()) {
      for (const s of d.services) if (s.name === name && s.revision > highest) highest = s.revision;
    }
    return highest;
  }

  /**
   * Runs a mutation once every earlier one has settled. `plan` decides on the current snapshot; its change
   * is written on the condition that the store is still at the snapshot's version. When another node wrote
   * in between, nothing was stored: the snapshot is reloaded and `plan` decides again on what that node
   * stored (it may now find a conflict). Each retry follows a write that did land, so the cluster progresses.
   */
  #mutate<T>(plan: () => Plan<T>): Promise<T> {
    return this.#serially(async () => {
      for (;;) {
        const { change, answer } = plan();
        if (change === undefined) return answer();
        const stored = await this.#store.write({ ...change, ifVersion: this.#snapshot.version });
        await this.#reload();
        if (stored) return answer();
      }
    });
  }

  /** Chains `step` after the queued mutations and refreshes, so that no two interleave their write and reload. */
  #serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(step);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #reload(): Promise<void> {
    this.#snapshot = buildSnapshot(await this.#store.read());
  }

  /** A deployment just written; only another node removing it before the reload makes it missing. */
  #stored(id: string): DeploymentRecord {
    return this.#snapshot.deployments.get(id) ?? throwError(deploymentNotFound(id));
  }
}

/** Where and how to reach a deployment, without what it serves. */
export function deploymentTarget(deployment: DeploymentRecord): DeploymentTarget {
  return {
    id: deployment.id,
    uri: deployment.uri,
    protocolMode: deployment.protocolMode,
    httpVersion: deployment.httpVersion,
    minProtocolVersion: deployment.minProtocolVersion,
    maxProtocolVersion: deployment.maxProtocolVersion,
    additionalHeaders: deployment.additionalHeaders,
  };
}

/** The in-memory view of what the store holds: overrides folded into the definitions, handlers resolved. */
function buildSnapshot({ deployments: stored, overrides, version }: RegistryContents): Snapshot {
  const deployments = new Map<string, DeploymentRecord>();
  const byUri = new Map<string, DeploymentRecord>();
  const services = new Map<string, ServiceRevision>();
  for (const d of stored) {
    const withOverrides = d.services.map((s) => ({ ...s, definition: applyOverrides(s.definition, overrides.get(s.name)) }));
    const record: DeploymentRecord = freezeDeep({ ...d, services: withOverrides });
    deployments.set(record.id, record);
    byUri.set(record.uri, record);
    for (const s of record.services) {
      const live = services.get(s.name);
      if (live === undefined || s.revision > live.revision) services.set(s.name, s);
    }
  }
  const handlers = new Map<string, Map<string, ResolvedHandler>>();
  for (const s of services.values()) handlers.set(s.name, resolveAll(s, deployments.get(s.deploymentId)!));
  const pinnable = new Map<string, Map<string, Map<string, ResolvedHandler>>>();
  for (const d of deployments.values()) {
    const own = new Map<string, Map<string, ResolvedHandler>>();
    // A live revision shares its handlers with `handlers`: the same frozen objects, derived once by the views.
    for (const s of d.services) own.set(s.name, services.get(s.name) === s ? handlers.get(s.name)! : resolveAll(s, d));
    pinnable.set(d.id, own);
  }
  return { deployments, byUri, services, handlers, pinnable, overrides, version };
}

function resolveAll(service: ServiceRevision, deployment: DeploymentRecord): Map<string, ResolvedHandler> {
  const target = Object.freeze(deploymentTarget(deployment));
  const servicePublic = service.definition.ingressPrivate !== true;
  const map = new Map<string, ResolvedHandler>();
  for (const handler of service.definition.handlers) {
    map.set(
      handler.name,
      Object.freeze({
        serviceName: service.name,
        serviceType: service.ty,
        serviceRevision: service.revision,
        handlerName: handler.name,
        handlerType: effectiveHandlerType(service.ty, handler.ty),
        public: servicePublic && handler.ingressPrivate !== true,
        service: service.definition,
        handler,
        deployment: target,
      }),
    );
  }
  return map;
}

/** Cached records are shared with every caller; freezing keeps one caller from corrupting another's view. */
function freezeDeep<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) freezeDeep(v);
  }
  return value;
}

function throwError(error: Error): never {
  throw error;
}
