import type { DeploymentId } from "../../protocol/index.js";
import type { ServiceOverrides } from "./service-overrides.js";
import type { DeploymentRecord, ServiceRevision } from "./registry-types.js";

/** Everything the registry keeps, as stored: what the registry builds its in-memory view from. */
export interface RegistryContents {
  /**
   * Every deployment, oldest first (by `createdAt`, then id), with its services in manifest order and
   * their definitions as discovered: overrides are not folded in.
   */
  readonly deployments: readonly DeploymentRecord[];
  /** Settings changed through the admin API, by service name. */
  readonly overrides: ReadonlyMap<string, ServiceOverrides>;
  /** The store's version when these contents were read, read with them (see `RegistryStore.version`). */
  readonly version: number;
}

/** A deployment to write: its services, when given, replace the stored ones; when absent, those stay. */
export type DeploymentWrite = Omit<DeploymentRecord, "services"> & { readonly services?: readonly ServiceRevision[] };

/** One change of the registry, stored all or nothing, its parts applied in the order they are listed. */
export interface RegistryChange {
  /**
   * When given, the change is stored only while the store's version is still this one: the version of
   * the snapshot the change was computed from. A node whose snapshot is stale (another node wrote since
   * it last read) must not overwrite that write with a change derived from what it knew before.
   */
  readonly ifVersion?: number;
  /** Deployments to remove, with their services. */
  readonly deleteDeployments?: readonly DeploymentId[];
  /** Deployments to insert, or to overwrite when one with the same id is stored. */
  readonly putDeployments?: readonly DeploymentWrite[];
  /** Overrides to store for these services, in place of what was stored for them. */
  readonly setOverrides?: ReadonlyMap<string, ServiceOverrides>;
  /** Last, forget the overrides of every service that no deployment provides any more. */
  readonly dropOrphanOverrides?: boolean;
}

/**
 * What the deployment registry needs from storage. The registry reads everything after each change it
 * makes and at start, and never asks a store anything on the hot path, so a store shared by several
 * nodes (PostgreSQL, issue 15) needs no cache of its own. Every method is asynchronous because such a
 * store answers over the network; SQLite answers at once, with settled promises. An implementation
 * creates or migrates its tables when it is built.
 */
export interface RegistryStore {
  /** The whole registry as stored now, read in one consistent view (no other write half seen). */
  read(): Promise<RegistryContents>;
  /**
   * Applies `change` atomically and bumps the version; resolves true once stored. Resolves false, storing
   * nothing, when `change.ifVersion` is given and the version is another (the check and the write must be
   * one atomic step: in SQL, `UPDATE … SET version = version + 1 WHERE version = $ifVersion` first, in the
   * change's transaction). When any part fails, nothing of it is stored, and the promise rejects with the
   * store's error.
   */
  write(change: RegistryChange): Promise<boolean>;
  /**
   * A number that grows with every change stored, by this node or any other sharing the store: the
   * cheap check that lets `DeploymentRegistry.refresh()` skip a full read when nothing changed.
   */
  version(): Promise<number>;
}
