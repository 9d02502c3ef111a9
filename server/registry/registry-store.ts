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
}

/** A deployment to write: its services, when given, replace the stored ones; when absent, those stay. */
export type DeploymentWrite = Omit<DeploymentRecord, "services"> & { readonly services?: readonly ServiceRevision[] };

/** One change of the registry, stored all or nothing, its parts applied in the order they are listed. */
export interface RegistryChange {
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
 * nodes needs no cache of its own. An implementation creates or migrates its tables when it is built.
 */
export interface RegistryStore {
  /** The whole registry as stored now. */
  read(): RegistryContents;
  /** Applies `change` atomically: when any part fails, nothing of it is stored, and the error is thrown. */
  write(change: RegistryChange): void;
}
