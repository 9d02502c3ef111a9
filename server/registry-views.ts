import type { DeploymentTarget } from "../invoker/index.js";
import type { IngressRegistry } from "./ingress/ingress-plugin.js";
import type { DeploymentRegistry } from "./registry/index.js";

export interface RegistryViews extends IngressRegistry {
  /** Where the invoker sends an attempt of `service/handler`: the deployment of its latest revision. */
  resolveTarget(service: string, handler: string): DeploymentTarget | undefined;
}

/** The registry seen by ingress and the invoker: map lookups on its in-memory snapshot, no SQL. */
export function registryViews(registry: DeploymentRegistry): RegistryViews {
  return {
    serviceNames: () => registry.listServices().map((s) => s.name),
    lookupService: (name) => {
      const service = registry.getService(name);
      if (service === undefined) return undefined;
      return {
        type: service.ty,
        hasHandler: (handler) => registry.resolveHandler(name, handler) !== null,
        outputContentType: (handler) => registry.resolveHandler(name, handler)?.handler.output?.contentType,
      };
    },
    resolveTarget: (service, handler) => registry.resolveHandler(service, handler)?.deployment,
  };
}
