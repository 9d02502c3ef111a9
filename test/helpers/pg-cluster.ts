import type { Logger } from "pino";
import { expect } from "vitest";
import { derivedInvocationIdOf } from "../../partition/index.js";
import { partitionKeyForKey, partitionKeyOf, partitionOf, type InvocationId } from "../../protocol/index.js";
import { startEndpoint } from "./sdk-endpoint.js";

type Services = Parameters<typeof startEndpoint>[0];
import { startTestStet, type TestStet } from "./stet.js";

/** Partitions of every test cluster: two per node. */
export const PARTITIONS = 4;

export interface Cluster {
  readonly a: TestStet;
  readonly b: TestStet;
  /** The node that leads `partition`, and the other one. */
  leaderOf(partition: number): TestStet;
  otherThan(node: TestStet): TestStet;
}

export interface ClusterOptions {
  /** How long each node reuses what it read of the leaders, in ms (stet's default when absent). */
  readonly leaderMapMaxAgeMs?: number;
  /** Where each node logs (silent when absent). */
  readonly loggers?: { readonly a?: Logger; readonly b?: Logger };
}

export const leads = (node: TestStet, partition: number): boolean => node.node.partitions.processor(partition)?.isLeader === true;

/**
 * Two nodes on the PostgreSQL database `url`, the partitions split between them, `services` served by one
 * endpoint registered through the first and known to both. Everything started is pushed to `started`.
 */
export async function startCluster(
  url: string,
  services: Services,
  started: Array<{ close(): Promise<void> }>,
  options: ClusterOptions = {},
): Promise<Cluster> {
  const service = await startEndpoint(services, { http: 2 });
  started.push(service);
  const node = async (logger: Logger | undefined) => {
    const stet = await startTestStet({
      store: url,
      partitions: PARTITIONS,
      leaseTtlMs: 2_000,
      ...(logger === undefined ? {} : { logger }),
      ...(options.leaderMapMaxAgeMs === undefined ? {} : { leaderMapMaxAgeMs: options.leaderMapMaxAgeMs }),
    });
    started.push(stet);
    return stet;
  };
  const a = await node(options.loggers?.a);
  const b = await node(options.loggers?.b);
  await a.register(service.url);
  // The second node picks the deployment up with its next registry refresh.
  await eventuallyDefined(() => (services.every((s) => b.node.registry.getService(s.name) !== undefined) ? true : undefined));
  // The first node took every partition; placement hands the second its half once both see each other.
  await eventuallyDefined(() => {
    const counts = [a, b].map((n) => Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => leads(n, p)).length);
    return counts[0] === PARTITIONS / 2 && counts[1] === PARTITIONS / 2 ? true : undefined;
  });
  for (let p = 0; p < PARTITIONS; p++) expect(leads(a, p) !== leads(b, p)).toBe(true);
  const leaderOf = (p: number) => {
    // Placement moves a partition only when the live nodes change or a lease is lost: never here.
    if (leads(a, p)) return a;
    if (leads(b, p)) return b;
    throw new Error(`partition ${p} has no leader`);
  };
  return { a, b, leaderOf, otherThan: (n) => (n === a ? b : a) };
}

export const partitionOfId = (id: string): number => partitionOf(partitionKeyOf(id as InvocationId), PARTITIONS);

/** An object key of each partition, by partition. */
export function keysByPartition(service: string): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.filter((k) => k !== undefined).length < PARTITIONS; i++) {
    const key = `key-${i}`;
    keys[partitionOf(partitionKeyForKey(service, key), PARTITIONS)] ??= key;
  }
  return keys;
}

/** An idempotency key that puts a call of `service/handler` in `partition`. */
export function idempotencyKeyIn(partition: number, service: string, handler: string, prefix: string): string {
  for (let i = 0; ; i++) {
    const idempotencyKey = `${prefix}-${i}`;
    const id = derivedInvocationIdOf({ kind: "idempotent", service, key: "", handler, idempotencyKey });
    if (partitionOfId(id) === partition) return idempotencyKey;
  }
}

/** Polls `read` until it gives a value (every 10 ms, for at most 10 s). */
export async function eventuallyDefined<T>(read: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("gave up waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}
