import type { Lease } from "./storage/lease-store.js";

/**
 * Where partitions should be led when several nodes share one store: an even spread over the live
 * nodes, decided by each node for itself from the same two readings (the live nodes and the leases),
 * so no node coordinates the others. Each node takes free partitions up to its share and hands over
 * those above it; leases keep any two nodes from leading one partition whatever they decide.
 */
export interface PlacementInput {
  /** This node's id, as in the lease table. Counted as live whether or not the directory lists it yet. */
  readonly self: string;
  readonly partitionCount: number;
  /** The nodes that announced themselves recently (this node may be missing). */
  readonly liveNodes: readonly string[];
  /** Every stored lease, and the store's clock when they were read (expiry is judged on it). */
  readonly leases: readonly Lease[];
  readonly now: number;
  /** Partitions led here now. */
  readonly leading: ReadonlySet<number>;
  /** Partitions being taken here (counted as this node's) or handed over (counted as nobody's). */
  readonly taking: ReadonlySet<number>;
  readonly releasing: ReadonlySet<number>;
  /** Free partitions that stayed free so long that any node takes them, whatever its share. */
  readonly overdue: ReadonlySet<number>;
  /** Whether the live nodes have stayed the same long enough to move partitions for them. */
  readonly settled: boolean;
}

export interface PlacementPlan {
  /** Free partitions to take now. */
  readonly take: readonly number[];
  /** Partitions led here above this node's share, to release for nodes below theirs. */
  readonly handOver: readonly number[];
  /** This node's share of the partitions. */
  readonly share: number;
}

/** The live nodes in a fixed order, this node included: every node ranks them the same way. */
export function rankNodes(self: string, liveNodes: readonly string[]): string[] {
  return [...new Set([...liveNodes, self])].sort();
}

/** How many partitions the node at `rank` of `nodeCount` should lead: the first P mod N lead one more. */
export function shareOf(rank: number, nodeCount: number, partitionCount: number): number {
  return Math.floor(partitionCount / nodeCount) + (rank < partitionCount % nodeCount ? 1 : 0);
}

export function planPlacement(input: PlacementInput): PlacementPlan {
  const nodes = rankNodes(input.self, input.liveNodes);
  const rank = nodes.indexOf(input.self);
  const share = shareOf(rank, nodes.length, input.partitionCount);
  const leases = new Map(input.leases.map((l) => [l.partition, l]));

  let mine = input.taking.size;
  const free: number[] = [];
  const ledBy = new Map<string, number>();
  for (let p = 0; p < input.partitionCount; p++) {
    if (input.taking.has(p) || input.releasing.has(p)) continue;
    if (input.leading.has(p)) {
      mine++;
      continue;
    }
    const lease = leases.get(p);
    // Led by another node, live or not, until its lease runs out (acquiring it would fail anyway).
    if (lease !== undefined && lease.expiresAt > input.now && lease.holder !== input.self) ledBy.set(lease.holder, (ledBy.get(lease.holder) ?? 0) + 1);
    else free.push(p);
  }

  // Round-robin preference (partition p to the node ranked p mod N), so that nodes taking free
  // partitions at the same moment mostly reach for different ones.
  const preferred = (p: number) => (p % nodes.length === rank ? 0 : 1);
  free.sort((a, b) => preferred(a) - preferred(b) || a - b);
  const take = new Set(free.slice(0, Math.max(0, share - mine)));
  for (const p of free) if (input.overdue.has(p)) take.add(p);

  const handOver: number[] = [];
  const surplus = mine - share;
  if (surplus > 0 && input.settled) {
    // Only as many as live nodes below their share can take beyond the free partitions they will take
    // first: a handover must never leave a partition without a taker.
    const room = nodes.reduce((sum, node, r) => (node === input.self ? sum : sum + Math.max(0, shareOf(r, nodes.length, input.partitionCount) - (ledBy.get(node) ?? 0))), 0);
    const count = Math.min(surplus, room - (free.length - take.size));
    const movable = [...input.leading].sort((a, b) => preferred(b) - preferred(a) || b - a);
    handOver.push(...movable.slice(0, Math.max(0, count)));
  }
  return { take: [...take].sort((a, b) => a - b), handOver: handOver.sort((a, b) => a - b), share };
}
