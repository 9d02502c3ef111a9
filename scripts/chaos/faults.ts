import { scrapeLeaderEpochs, waitForTakeover, type LeaderEpochs } from "./leader-epochs.js";
import { sleep } from "./processes.js";
import type { StetNode } from "./stet-node.js";

export interface FaultOptions {
  readonly nodes: readonly StetNode[];
  readonly killEveryMs: number;
  readonly pauseEveryMs: number;
  readonly leaseTtlMs: number;
  /** No fault starts at or after this epoch ms (one under way finishes). */
  readonly endAt: number;
}

/** What the faults did, and how long their partitions took to be led again. */
export interface FaultReport {
  kills: number;
  pauses: number;
  /** Kills after which the node was restarted on an empty data folder. */
  wipes: number;
  /** One sample per partition a fault moved: ms from the kill or SIGSTOP to it being led again. */
  readonly failoverMs: number[];
  /** Partitions a fault left without a new leader past the takeover timeout. */
  missedTakeovers: number;
  /** One line per fault, for the log. */
  readonly events: string[];
}

/** A period drawn around its mean, so that faults do not fall into step with the lease renewals. */
const jitter = (meanMs: number): number => meanMs * (0.5 + Math.random());
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/**
 * Kills and pauses nodes, one fault at a time, each finished (the node back, its partitions led again)
 * before the next, so that a failover time belongs to one fault and all nodes but one are always up. The victim is a node that leads at least one partition: a fault on a node
 * that leads none moves nothing (it still breaks the requests it was forwarding; those are covered too,
 * as the client spreads its requests over every node and forwarding nodes lead partitions too).
 */
export async function runFaults(options: FaultOptions): Promise<FaultReport> {
  const report: FaultReport = { kills: 0, pauses: 0, wipes: 0, failoverMs: [], missedTakeovers: 0, events: [] };
  const takeoverTimeoutMs = 10 * options.leaseTtlMs + 30_000;
  const admins = (nodes: readonly StetNode[]) => () => nodes.map((n) => n.adminUrl);
  let nextKill = options.killEveryMs > 0 ? Date.now() + jitter(options.killEveryMs) : Infinity;
  let nextPause = options.pauseEveryMs > 0 ? Date.now() + jitter(options.pauseEveryMs) : Infinity;

  const record = (kind: string, victim: StetNode, moved: LeaderEpochs, movedAfterMs: ReadonlyMap<number, number>, missed: readonly number[]) => {
    report.failoverMs.push(...movedAfterMs.values());
    report.missedTakeovers += missed.length;
    const times = [...movedAfterMs.values()];
    report.events.push(
      `${kind} ${victim.name} (led ${moved.size}): led again after ${times.length === 0 ? "-" : `${Math.min(...times)}..${Math.max(...times)} ms`}` +
        (missed.length > 0 ? `; never led again: ${missed.join(", ")}` : ""),
    );
  };

  for (;;) {
    const next = Math.min(nextKill, nextPause);
    if (next >= options.endAt) return report;
    await sleep(next - Date.now());
    const victim = await pickLeader(options.nodes);
    if (victim === undefined) {
      // Every node answered nothing or led nothing: the previous fault has not settled; try again soon.
      if (next === nextKill) nextKill = Date.now() + 500;
      else nextPause = Date.now() + 500;
      continue;
    }
    const { node, moved } = victim;
    if (next === nextKill) {
      const faultAt = Date.now();
      await node.kill();
      report.kills++;
      const wipe = Math.random() < 0.5;
      if (wipe) report.wipes++;
      // Back after up to a lease: sometimes before its old leases expire, sometimes after.
      const restart = (async () => {
        await sleep(Math.random() * options.leaseTtlMs);
        if (wipe) node.wipe();
        await node.start();
      })();
      const { movedAfterMs, missed } = await waitForTakeover(admins(options.nodes), moved, faultAt, takeoverTimeoutMs);
      await restart;
      record(wipe ? "kill -9 + wipe" : "kill -9", node, moved, movedAfterMs, missed);
      nextKill = Date.now() + jitter(options.killEveryMs);
    } else {
      const faultAt = Date.now();
      node.pause();
      report.pauses++;
      const others = options.nodes.filter((n) => n !== node);
      const { movedAfterMs, missed } = await waitForTakeover(admins(others), moved, faultAt, takeoverTimeoutMs);
      // Past its lease by now (its partitions have new leaders); woken a little later each time.
      await sleep(Math.random() * options.leaseTtlMs);
      node.resume();
      await waitForAnswer(node);
      record("SIGSTOP", node, moved, movedAfterMs, missed);
      nextPause = Date.now() + jitter(options.pauseEveryMs);
    }
  }
}

/** A random node among those leading at least one partition, with what it leads. */
async function pickLeader(nodes: readonly StetNode[]): Promise<{ node: StetNode; moved: LeaderEpochs } | undefined> {
  const scraped = await Promise.all(nodes.map(async (node) => ({ node, moved: await scrapeLeaderEpochs(node.adminUrl) })));
  const leaders = scraped.filter((s): s is { node: StetNode; moved: LeaderEpochs } => s.moved !== undefined && s.moved.size > 0);
  return leaders.length === 0 ? undefined : pick(leaders);
}

/** Waits until a resumed node answers its metrics again. */
async function waitForAnswer(node: StetNode): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await scrapeLeaderEpochs(node.adminUrl)) === undefined) {
    if (Date.now() > deadline) throw new Error(`${node.name} does not answer after SIGCONT`);
    await sleep(50);
  }
}
