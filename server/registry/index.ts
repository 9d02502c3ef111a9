export { DeploymentRegistry, deploymentTarget, type DeploymentRegistryOptions, type DiscoveredDeployment } from "./deployment-registry.js";
export * from "./registry-errors.js";
export type { DeploymentWrite, RegistryChange, RegistryContents, RegistryStore } from "./registry-store.js";
export * from "./registry-types.js";
export * from "./service-defaults.js";
export { applyOverrides, mergeOverrides, parseStoredOverrides, type ServiceOverrides } from "./service-overrides.js";
