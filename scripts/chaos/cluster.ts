import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { percentile } from "../bench/load.js";
import { freePort } from "../lib/free-port.js";
import { startPostgres } from "../lib/postgres-server.js";
import { runFaults } from "./faults.js";
import { leadershipChanges, SCRAPE_EVERY_MS } from "./leader-epochs.js";
import { runLoad } from "./load-client.js";
import type { ChaosOptions } from "./options.js";
import { ErrorLines, registerDeployment, startLoadService } from "./processes.js";
import { readSideEffects } from "./side-effect-log.js";
import { StetNode } from "./stet-node.js";
import type { Teardown } from "./teardown.js";
import { verify, type Verdict } from "./verify.js";

export interface ClusterSummary extends Verdict {
  readonly mode: "cluster";
  readonly nodes: number;
  readonly partitions: number;
  readonly leaseTtl: string;
  readonly minutes: number;
  readonly kills: number;
  readonly pauses: number;
  readonly wipes: number;
  /** Lease acquisitions beyond each partition's first (see leadershipChanges). */
  readonly leadershipChanges: number;
  readonly sent: number;
  readonly unanswered: number;
  readonly resent: number;
  /** Per moved partition: from the kill or SIGSTOP to a scrape showing it led anew (see leader-epochs.ts). */
  readonly failover: { readonly samples: number; readonly p50Ms: number; readonly maxMs: number; readonly missed: number; readonly resolutionMs: number };
  readonly faults: readonly string[];
  readonly stetErrorLines: number;
  readonly stetErrorSamples: readonly string[];
}

/**
 * N stet nodes on one throwaway PostgreSQL, each in a data folder of its own, with the load service
 * registered; faults and load run side by side for the run's minutes, then every accepted invocation is
 * awaited and checked.
 */
export async function runCluster(options: ChaosOptions, teardown: Teardown): Promise<ClusterSummary> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "stet-chaos-cluster-"));
  teardown.defer(() => fs.rmSync(work, { recursive: true, force: true }));
  // fsync off: the run kills stet nodes, never PostgreSQL, and a killed client loses nothing PostgreSQL
  // committed to its page cache; it spares the shared disk an fsync per commit.
  const postgres = await startPostgres({ prefix: "stet-chaos-pg-", settings: { fsync: "off" } });
  teardown.defer(() => postgres.close());

  const errors = new ErrorLines();
  const store = ["--store", postgres.url(), "--lease-ttl", options.leaseTtl, "--partitions", String(options.partitions)];
  const nodes = Array.from({ length: options.cluster }, (_, i) => new StetNode(`node-${i + 1}`, path.join(work, `node-${i + 1}`), store, errors));
  for (const node of nodes) teardown.defer(() => node.stop());
  // Started together, so that the first leases spread over the nodes as they race for them.
  await Promise.all(nodes.map((node) => node.start()));

  const service = await startLoadService(await freePort(), path.join(work, "side-effects"));
  teardown.defer(() => service.child.kill("SIGTERM"));
  await registerDeployment(nodes[0]!.adminUrl, service.url);

  const endAt = Date.now() + options.minutes * 60_000;
  const ingress = () => nodes.map((n) => n.ingressUrl);
  const admin = () => nodes.map((n) => n.adminUrl);
  const [ledger, report] = await Promise.all([
    runLoad({ ingress, ratePerSec: options.ratePerSec, endAt, drainMs: options.settleMs }),
    runFaults({ nodes, killEveryMs: options.killEveryMs, pauseEveryMs: options.pauseEveryMs, leaseTtlMs: options.leaseTtlMs, endAt }),
  ]);
  const verdict = await verify({ ingress, admin, ledger, sideEffects: () => readSideEffects(service.logFile), timeoutMs: options.settleMs });
  const changes = await leadershipChanges(admin());
  const failover = [...report.failoverMs].sort((a, b) => a - b);
  return {
    mode: "cluster",
    nodes: options.cluster,
    partitions: options.partitions,
    leaseTtl: options.leaseTtl,
    minutes: options.minutes,
    kills: report.kills,
    pauses: report.pauses,
    wipes: report.wipes,
    leadershipChanges: changes,
    sent: ledger.sent,
    unanswered: ledger.unanswered,
    resent: ledger.resent,
    ...verdict,
    failover: {
      samples: failover.length,
      p50Ms: failover.length === 0 ? 0 : percentile(failover, 50),
      maxMs: failover.at(-1) ?? 0,
      missed: report.missedTakeovers,
      resolutionMs: SCRAPE_EVERY_MS,
    },
    faults: report.events,
    stetErrorLines: errors.lines.length,
    stetErrorSamples: errors.lines.slice(0, 3),
  };
}
