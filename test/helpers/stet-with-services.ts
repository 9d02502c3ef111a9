import { afterEach } from "vitest";
import { startEndpoint } from "./sdk-endpoint.js";
import { startTestStet, type TestStet } from "./stet.js";

type Services = Parameters<typeof startEndpoint>[0];

/**
 * Per-test stet with official-SDK services registered; everything started is closed after each test.
 * Call once at the top of a test file, then `await setup([...])` inside tests.
 */
export function useStetWithServices(): (services: Services, options?: { http?: 1 | 2; partitions?: number }) => Promise<TestStet> {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return async (services, options = {}) => {
    const endpoint = await startEndpoint(services, { http: options.http ?? 2 });
    cleanups.push(() => endpoint.close());
    const stet = await startTestStet(options.partitions === undefined ? {} : { partitions: options.partitions });
    cleanups.push(() => stet.close());
    await stet.register(endpoint.url);
    return stet;
  };
}
