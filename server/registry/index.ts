export { DeploymentRegistry, deploymentTarget, type DeploymentRegistryOptions, type DiscoveredDeployment } from "./deployment-registry.js";
export * from "./registry-errors.js";
export * from "./registry-types.js";
export { REGISTRY_COMPONENT, REGISTRY_MIGRATIONS } from "../../sqlite/registry/registry-schema.js";
export * from "./service-defaults.js";
export { applyOverrides, mergeOverrides, type ServiceOverrides } from "./service-overrides.js";
