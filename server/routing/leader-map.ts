import type { NodeAddress } from "../../postgres/node-directory.js";
import { RoutingArgumentError } from "./routing-errors.js";

/** What the leader map reads: the cluster's current leaders (postgres/node-directory.ts). */
export interface LeaderSource {
  leaders(liveWithinMs: number): Promise<Map<number, NodeAddress>>;
}

export interface LeaderMapOptions {
  readonly source: LeaderSource;
  /** This node's id: never a forwarding target. */
  readonly self: string;
  /** How long an answer is reused, in ms. Default 1 000: leaders change rarely, and a miss reloads. */
  readonly maxAgeMs?: number;
  /** A node that has not announced itself for this long is not forwarded to, in ms. */
  readonly liveWithinMs: number;
  readonly now?: () => number;
}

/**
 * Which node leads each partition, as PostgreSQL said a moment ago. One query answers every partition,
 * and concurrent misses share it, so a burst of requests for other nodes' partitions costs one read.
 */
export class LeaderMap {
  readonly #options: LeaderMapOptions;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #known: { at: number; leaders: Map<number, NodeAddress> } | undefined;
  #loading: Promise<Map<number, NodeAddress>> | undefined;

  constructor(options: LeaderMapOptions) {
    const maxAgeMs = options.maxAgeMs ?? 1_000;
    if (!(maxAgeMs >= 0)) throw new RoutingArgumentError(`maxAgeMs must be >= 0, got ${maxAgeMs}`);
    this.#options = options;
    this.#maxAgeMs = maxAgeMs;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The other node that leads `partition`; undefined when none does (no live leader, or this node).
   * A remembered answer younger than maxAgeMs is used when it names another node; otherwise reloads.
   */
  async leaderOf(partition: number): Promise<NodeAddress | undefined> {
    const known = this.#known;
    if (known !== undefined && this.#now() - known.at < this.#maxAgeMs) {
      const leader = known.leaders.get(partition);
      if (leader !== undefined && leader.nodeId !== this.#options.self) return leader;
    }
    const leader = (await this.#reload()).get(partition);
    return leader === undefined || leader.nodeId === this.#options.self ? undefined : leader;
  }

  /** Drops what is remembered (the node it named said it does not lead, or could not be reached). */
  forget(): void {
    this.#known = undefined;
  }

  #reload(): Promise<Map<number, NodeAddress>> {
    this.#loading ??= this.#options.source
      .leaders(this.#options.liveWithinMs)
      .then((leaders) => {
        this.#known = { at: this.#now(), leaders };
        return leaders;
      })
      .finally(() => {
        this.#loading = undefined;
      });
    return this.#loading;
  }
}
