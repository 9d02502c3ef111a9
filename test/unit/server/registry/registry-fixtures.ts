import type { ServiceManifest } from "../../../../protocol/manifest.js";
import type { DiscoveredDeployment } from "../../../../server/registry/index.js";

/** What discovery reports for an official-SDK endpoint (manifest v4, HTTP/2) serving `services`. */
export function discovered(uri: string, services: ServiceManifest[], extra: Partial<DiscoveredDeployment> = {}): DiscoveredDeployment {
  return {
    uri,
    manifest: { protocolMode: "BIDI_STREAM", minProtocolVersion: 5, maxProtocolVersion: 7, services },
    manifestVersion: 4,
    protocolMode: "BIDI_STREAM",
    httpVersion: 2,
    minProtocolVersion: 5,
    maxProtocolVersion: 7,
    sdkVersion: "restate-sdk-typescript/1.17.2",
    ...extra,
  };
}
