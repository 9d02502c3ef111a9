export { discover, discoverUrl, parseDeploymentUri, type DiscoverOptions, type DiscoveredEndpoint } from "./discovery-client.js";
export * from "./discovery-errors.js";
