import type { NodeAddress } from "../../postgres/node-directory.js";
import { toError } from "../../protocol/errors.js";

/** Where nodes announce themselves (postgres/node-directory.ts). */
export interface NodeRoster {
  announce(node: NodeAddress): Promise<void>;
  withdraw(nodeId: string): Promise<void>;
  /** The nodes that announced themselves within `liveWithinMs`. */
  liveNodes(liveWithinMs: number): Promise<string[]>;
}

export interface NodeAnnouncerOptions {
  readonly roster: NodeRoster;
  readonly node: NodeAddress;
  /** How often the heartbeat is refreshed, in ms. */
  readonly everyMs: number;
  readonly onError?: (error: Error) => void;
}

/**
 * Keeps this node listed as live, with where its ingress and admin answer: at start, then every
 * `everyMs`, and removes it on a graceful stop, so nobody forwards to a node that has gone.
 */
export class NodeAnnouncer {
  readonly #options: NodeAnnouncerOptions;
  #timer: NodeJS.Timeout | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: NodeAnnouncerOptions) {
    this.#options = options;
  }

  /** Announces the node once (rejects when that fails), then keeps the heartbeat fresh. */
  async start(): Promise<void> {
    await this.#options.roster.announce(this.#options.node);
    this.#timer = setInterval(() => {
      this.#options.roster.announce(this.#options.node).catch((error: unknown) => this.#options.onError?.(toError(error)));
    }, this.#options.everyMs);
    this.#timer.unref();
  }

  /** Stops the heartbeat and withdraws the node. Idempotent. */
  close(): Promise<void> {
    clearInterval(this.#timer);
    this.#closed ??= this.#options.roster.withdraw(this.#options.node.nodeId);
    return this.#closed;
  }
}
