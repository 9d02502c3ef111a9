import { join } from "node:path";
import { pino, type Logger } from "pino";
import type { InvokerEvent } from "../../invoker/index.js";
import type { ProtocolVersion } from "../../protocol/index.js";
import type { StetConfig } from "../../server/config.js";
import { startStetNode, type StetNode } from "../../server/stet-node.js";
import { tempDir } from "./temp-dir.js";

export interface TestStet {
  readonly node: StetNode;
  readonly dataDir: string;
  readonly events: InvokerEvent[];
  /** Registers a deployment through the admin API and returns the response body. */
  register(uri: string): Promise<unknown>;
  /** POSTs a JSON body to an ingress path. */
  call(path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Resolves on the first invoker event that matches. */
  waitFor(predicate: (event: InvokerEvent) => boolean): Promise<InvokerEvent>;
  close(): Promise<void>;
}

/** Starts stet in this process on random ports with its own data folder (kept when `dataDir` is given). */
export async function startTestStet(
  options: {
    dataDir?: string;
    partitions?: number;
    maxProtocolVersion?: ProtocolVersion;
    expiryIntervalMs?: number;
    leaseTtlMs?: number;
    /** Time limit of one `POST /query`. */
    queryLimitMs?: number;
    /** Where stet logs; default silent (or the level in STET_TEST_LOG). */
    logger?: Logger;
    /** A `postgres://` URL: the node joins that database's cluster instead of using SQLite. */
    store?: string;
    /** How long a cluster node reuses what it read of the partitions' leaders, in ms. */
    leaderMapMaxAgeMs?: number;
  } = {},
): Promise<TestStet> {
  const owned = options.dataDir === undefined ? tempDir() : undefined;
  const dataDir = options.dataDir ?? join(owned!.path, "data");
  const config: StetConfig = Object.freeze({
    dataDir,
    ingressPort: 0,
    adminPort: 0,
    host: "127.0.0.1",
    partitions: options.partitions,
    shutdownTimeoutMs: 10_000,
    logLevel: "silent",
    leaseTtlMs: options.leaseTtlMs ?? 10_000,
    store: options.store,
  });
  const events: InvokerEvent[] = [];
  const listeners = new Set<(e: InvokerEvent) => void>();
  const node = await startStetNode(config, {
    ...(options.maxProtocolVersion === undefined ? {} : { maxProtocolVersion: options.maxProtocolVersion }),
    ...(options.expiryIntervalMs === undefined ? {} : { expiryIntervalMs: options.expiryIntervalMs }),
    ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
    ...(options.queryLimitMs === undefined ? {} : { queryLimitMs: options.queryLimitMs }),
    ...(options.leaderMapMaxAgeMs === undefined ? {} : { leaderMapMaxAgeMs: options.leaderMapMaxAgeMs }),
    logger: options.logger ?? pino({ level: process.env["STET_TEST_LOG"] ?? "silent" }),
    // Tests' fetch keeps connections alive; their close need not wait for those to go idle.
    idleConnectionGraceMs: 0,
    onInvokerEvent: (event) => {
      events.push(event);
      for (const l of [...listeners]) l(event);
    },
  });
  return {
    node,
    dataDir,
    events,
    register: async (uri) => {
      const res = await fetch(`${node.adminUrl}/deployments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ uri }),
      });
      const body = (await res.json()) as unknown;
      if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${JSON.stringify(body)}`);
      return body;
    },
    call: (path, body, headers = {}) =>
      fetch(`${node.ingressUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    waitFor: (predicate) => {
      const seen = events.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const l = (e: InvokerEvent) => {
          if (!predicate(e)) return;
          listeners.delete(l);
          resolve(e);
        };
        listeners.add(l);
      });
    },
    close: async () => {
      await node.close();
      owned?.remove();
    },
  };
}
