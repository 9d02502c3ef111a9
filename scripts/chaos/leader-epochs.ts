import { sleep } from "./processes.js";

/** Partition -> the leader epoch a node leads it under; partitions it does not lead are absent. */
export type LeaderEpochs = ReadonlyMap<number, number>;

const EPOCH_SAMPLE = /^stet_partition_leader_epoch\{partition="(\d+)"\} (\d+)$/gm;

/** The partitions a node leads, from its `stet_partition_leader_epoch` gauges (0 = not led there). */
export function parseLeaderEpochs(metricsText: string): LeaderEpochs {
  const epochs = new Map<number, number>();
  for (const [, partition, epoch] of metricsText.matchAll(EPOCH_SAMPLE)) {
    if (Number(epoch) > 0) epochs.set(Number(partition), Number(epoch));
  }
  return epochs;
}

/** A node's leader epochs now; undefined when it does not answer within `timeoutMs` (dead or paused). */
export async function scrapeLeaderEpochs(adminUrl: string, timeoutMs = 1_000): Promise<LeaderEpochs | undefined> {
  try {
    const res = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.status === 200 ? parseLeaderEpochs(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

export interface Takeover {
  /** Partition -> ms from the fault to the first scrape that showed it led under a newer epoch. */
  readonly movedAfterMs: ReadonlyMap<number, number>;
  /** Partitions no node led anew before the timeout. */
  readonly missed: readonly number[];
}

/** How often waitForTakeover scrapes every node: the resolution of the failover times it reports. */
export const SCRAPE_EVERY_MS = 100;

/**
 * Waits until each partition of `moved` (partition -> its epoch before the fault at `faultAt`) is led
 * under a higher epoch by any of the nodes at `adminUrls`. Epochs only rise and every acquisition of a
 * lease adds one (postgres/lease-store.ts), so a higher epoch is a new leadership, whoever holds it:
 * another node, or the killed node restarted. A failover time is thus an upper bound: the first scrape
 * that answered after the partition was led again, within SCRAPE_EVERY_MS plus a scrape's duration.
 */
export async function waitForTakeover(
  adminUrls: () => readonly string[],
  moved: LeaderEpochs,
  faultAt: number,
  timeoutMs: number,
): Promise<Takeover> {
  const movedAfterMs = new Map<number, number>();
  const deadline = faultAt + timeoutMs;
  while (movedAfterMs.size < moved.size && Date.now() < deadline) {
    const scrapes = await Promise.all(
      adminUrls().map(async (url) => ({ epochs: await scrapeLeaderEpochs(url), at: Date.now() })),
    );
    for (const { epochs, at } of scrapes) {
      for (const [partition, before] of moved) {
        if (movedAfterMs.has(partition) || (epochs?.get(partition) ?? 0) <= before) continue;
        movedAfterMs.set(partition, at - faultAt);
      }
    }
    if (movedAfterMs.size < moved.size) await sleep(SCRAPE_EVERY_MS);
  }
  return { movedAfterMs, missed: [...moved.keys()].filter((p) => !movedAfterMs.has(p)) };
}

/**
 * Lease acquisitions beyond each partition's first, over the run so far: the sum of (epoch - 1) over
 * partitions, the highest epoch any node reports for each. Faults explain some; the rest are leases a
 * busy node failed to renew in time, which another node then took.
 */
export async function leadershipChanges(adminUrls: readonly string[]): Promise<number> {
  const highest = new Map<number, number>();
  for (const epochs of await Promise.all(adminUrls.map((url) => scrapeLeaderEpochs(url)))) {
    for (const [partition, epoch] of epochs ?? []) highest.set(partition, Math.max(epoch, highest.get(partition) ?? 0));
  }
  return [...highest.values()].reduce((sum, epoch) => sum + epoch - 1, 0);
}
