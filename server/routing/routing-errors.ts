import { StetError } from "../../protocol/errors.js";

/** Stable codes of routing between nodes; clients may tell them apart by `x-stet-error-code`. */
export const ROUTING_ERROR_CODES = Object.freeze({
  leaderUnreachable: "STET_LEADER_UNREACHABLE",
  forwardStopped: "STET_FORWARD_STOPPED",
  routingArgument: "STET_ROUTING_ARGUMENT",
});

/** The partition's leader is another node, and passing the request on to it failed: retry later. */
export class LeaderUnreachableError extends StetError {
  constructor(partition: number, leader: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(ROUTING_ERROR_CODES.leaderUnreachable, `partition ${partition} is led by node ${leader}, which could not be reached (${why}); retry later`, {
      status: 503,
      cause,
    });
  }
}

/** A routing option out of range: a bug of the caller. */
export class RoutingArgumentError extends StetError {
  constructor(message: string) {
    super(ROUTING_ERROR_CODES.routingArgument, message, { status: 500 });
  }
}

/** This node began to stop while a request it forwarded was under way: retry (on any node). */
export class ForwardStoppedError extends StetError {
  constructor(partition: number, leader: string) {
    super(ROUTING_ERROR_CODES.forwardStopped, `this node is stopping; the request for partition ${partition} forwarded to node ${leader} was cut off; retry`, {
      status: 503,
    });
  }
}
