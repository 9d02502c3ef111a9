// stet-pg3 and FAILOVER: several stet nodes on one PostgreSQL database, each with its own data folder
// and ports. The nodes spread the partitions evenly among themselves (partition/placement.ts); the bench
// watches each node's `stet_partition_leader` gauges to know when they have.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { sleep, startServer, type RunningServer, type StartOptions, type StoreBackend } from "./servers.js";

/** Partitions of a bench cluster: stet's default, so stet-pg3 and stet-pg hold the same partitions. */
export const CLUSTER_PARTITIONS = 8;

export interface ClusterOptions {
  /** Each node gets a fresh folder under it. */
  readonly dataRoot: string;
  /** Node i logs to `<logPrefix>-node<i>.log`. */
  readonly logPrefix: string;
  readonly store: StoreBackend;
  /** `--lease-ttl` (e.g. "2s"); stet's default (10 s) when absent. */
  readonly leaseTtl?: string;
  /** How every node is started otherwise (node flags, bin, NODE_EXTRA_CA_CERTS). */
  readonly start?: Pick<StartOptions, "nodeFlags" | "bin" | "keepExtraCaCerts">;
}

/** What a row means for stet-pg3 (three processes), added to its label when stet-pg3 has a column. */
export const CLUSTER_LABELS: Readonly<Record<string, string>> = {
  startupAdminMs: "stet-pg3: its slowest node",
  startupIngressMs: "stet-pg3: its slowest node",
  peakRssMb: "stet-pg3: the sum of its nodes",
  idleRssMb: "stet-pg3: the sum of its nodes",
  peakRssRoundMb: "stet-pg3: its nodes' peaks summed",
  shutdownMs: "stet-pg3: its slowest node, all stopped at once",
};

/** The partitions a node leads now, from its /metrics; undefined when it does not answer. */
export async function leadersOf(adminUrl: string): Promise<Set<number> | undefined> {
  try {
    const text = await (await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(2_000) })).text();
    const led = new Set<number>();
    for (const m of text.matchAll(/^stet_partition_leader\{partition="(\d+)"\} 1$/gm)) led.add(Number(m[1]));
    return led;
  } catch {
    return undefined;
  }
}

/**
 * Whether every partition is led by exactly one of `led` (the nodes' readings) and each node leads its
 * even share (P/N rounded down or up).
 */
export function evenlySpread(led: readonly ReadonlySet<number>[], partitions: number): boolean {
  const low = Math.floor(partitions / led.length);
  const high = Math.ceil(partitions / led.length);
  const all = led.flatMap((s) => [...s]);
  return new Set(all).size === partitions && all.length === partitions && led.every((s) => s.size >= low && s.size <= high);
}

/** A cluster of stet nodes on one database; nodes can be killed and added. */
export class StetCluster {
  readonly members: RunningServer[] = [];
  #next = 1;

  private constructor(private readonly opts: ClusterOptions) {}

  /** Starts `count` nodes at once; resolves when all are healthy (not yet spread: see waitForSpread). */
  static async start(count: number, opts: ClusterOptions): Promise<StetCluster> {
    const cluster = new StetCluster(opts);
    // Settled, not all: a node that failed must not leave the others running.
    const started = await Promise.allSettled(Array.from({ length: count }, () => cluster.addNode()));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) {
      await cluster.stop();
      throw failed.reason;
    }
    return cluster;
  }

  /** Starts one more node on a fresh data folder (new node id, new ports). */
  async addNode(): Promise<RunningServer> {
    const i = this.#next++;
    const dataDir = path.join(this.opts.dataRoot, `node${i}`);
    mkdirSync(dataDir, { recursive: true });
    const node = await startServer("stet", {
      ...this.opts.start,
      dataDir,
      logFile: `${this.opts.logPrefix}-node${i}.log`,
      store: this.opts.store,
      stetArgs: ["--partitions", String(CLUSTER_PARTITIONS), ...(this.opts.leaseTtl === undefined ? [] : ["--lease-ttl", this.opts.leaseTtl])],
    });
    this.members.push(node);
    return node;
  }

  /** kill -9 of `node` (a crash: no hand-over, its leases run out); it leaves the members. */
  async kill(node: RunningServer): Promise<void> {
    this.members.splice(this.members.indexOf(node), 1);
    await node.kill();
  }

  /** Each member's led partitions, in member order (empty for a node that does not answer). */
  async leaders(): Promise<Set<number>[]> {
    return Promise.all(this.members.map(async (m) => (await leadersOf(m.adminUrl)) ?? new Set<number>()));
  }

  /** Waits until the members lead every partition, evenly spread; resolves with the ms waited. */
  async waitForSpread(timeoutMs = 60_000): Promise<number> {
    const t0 = performance.now();
    for (;;) {
      if (evenlySpread(await this.leaders(), CLUSTER_PARTITIONS)) return performance.now() - t0;
      if (performance.now() - t0 > timeoutMs) {
        const counts = (await this.leaders()).map((s) => [...s].join(",")).join(" | ");
        throw new Error(`cluster: partitions not evenly spread over ${this.members.length} nodes within ${timeoutMs} ms (led: ${counts})`);
      }
      await sleep(50);
    }
  }

  /**
   * The cluster as one server for the workloads: load over every node's ingress, CPU and RSS summed
   * over the nodes (the store's CPU is added as for stet-pg); admin requests go to the first node.
   */
  asServer(): RunningServer {
    const members = [...this.members];
    const first = members[0]!;
    return {
      ...first,
      cmdline: members.map((m) => `pid ${m.pid}: ${m.cmdline}`).join("; "),
      nodes: members.flatMap((m) => m.nodes),
      startup: {
        adminMs: Math.max(...members.map((m) => m.startup.adminMs)),
        ingressMs: Math.max(...members.map((m) => m.startup.ingressMs)),
      },
      exited: () => members.some((m) => m.exited()),
      stop: async (killAfterMs?: number) => Math.max(...(await Promise.all(members.map((m) => m.stop(killAfterMs))))),
      kill: async () => void (await Promise.all(members.map((m) => m.kill()))),
    };
  }

  /** Stops every member (SIGTERM, in parallel); resolves with the slowest one's ms. */
  async stop(): Promise<number> {
    const ms = await Promise.all(this.members.map((m) => m.stop()));
    return Math.max(0, ...ms);
  }
}
