import { afterEach } from "vitest";
import type { Logger } from "pino";
import type { ProtocolVersion } from "../../protocol/index.js";
import { startEndpoint, type TestEndpoint } from "./sdk-endpoint.js";
import { startTestStet, type TestStet } from "./stet.js";

type Services = Parameters<typeof startEndpoint>[0];

/**
 * Per-test stet with official-SDK services registered; everything started is closed after each test.
 * Call once at the top of a test file, then `await setup([...])` inside tests.
 */
export interface SetupOptions {
  readonly http?: 1 | 2;
  readonly partitions?: number;
  readonly maxProtocolVersion?: ProtocolVersion;
  readonly expiryIntervalMs?: number;
  readonly leaseTtlMs?: number;
  readonly queryLimitMs?: number;
  readonly logger?: Logger;
}

export interface StetWithServices extends TestStet {
  readonly endpoint: TestEndpoint;
}

export function useStetWithServices(): (services: Services, options?: SetupOptions) => Promise<StetWithServices> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return async (services, options = {}) => {
    const endpoint = await startEndpoint(services, { http: options.http ?? 2 });
    cleanups.push(() => endpoint.close());
    const { http: _http, ...stetOptions } = options;
    const stet = await startTestStet(stetOptions);
    cleanups.push(() => stet.close());
    await stet.register(endpoint.url);
    return Object.assign(stet, { endpoint });
  };
}
