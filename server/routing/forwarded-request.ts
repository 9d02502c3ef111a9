import type { FastifyRequest } from "fastify";

export type ForwardedApi = "ingress" | "admin";

/**
 * How passing a request on ended: `answered` (the leader's answer, whatever its status, went back to the
 * caller), `unreachable` (the leader could not be asked: 503 STET_LEADER_UNREACHABLE), `stopped` (this
 * node began to stop first: 503 STET_FORWARD_STOPPED), `abandoned` (the caller left before the answer).
 */
export type ForwardOutcome = "answered" | "unreachable" | "stopped" | "abandoned";

/** One request this node passed on to a partition's leader, reported once it ended. */
export interface ForwardedRequest {
  readonly api: ForwardedApi;
  readonly partition: number;
  /** The node it was passed to. */
  readonly leader: string;
  readonly outcome: ForwardOutcome;
}

/** Where a request was passed on to: what the request log adds to its line. */
export interface ForwardingTarget {
  readonly forwardedTo: string;
  readonly partition: number;
}

const targets = new WeakMap<FastifyRequest, ForwardingTarget>();

/** Notes that `request` is being passed on to `leader`. */
export function noteForwarding(request: FastifyRequest, leader: string, partition: number): void {
  targets.set(request, { forwardedTo: leader, partition });
}

/** The node and partition `request` was passed on to; undefined when it was served here. */
export function forwardingOf(request: FastifyRequest): ForwardingTarget | undefined {
  return targets.get(request);
}
