import { StetError } from "../protocol/errors.js";

export class NotLeaderError extends StetError {
  /** The partition not led here: another node may lead it (a request can be forwarded there). */
  readonly partition: number;
  constructor(partition: number) {
    super("STET_PARTITION_NOT_LEADER", `partition ${partition} is not led by this node right now; retry later`, {
      status: 503,
    });
    this.partition = partition;
  }
}

/**
 * A caller waited here for an invocation whose partition this node stopped leading (handed over, or its
 * lease lost): the invocation goes on at the partition's next leader, where the caller can attach.
 */
export class InvocationMovedError extends StetError {
  readonly partition: number;
  readonly invocationId: string;
  constructor(partition: number, invocationId: string) {
    super("STET_INVOCATION_MOVED", `invocation ${invocationId} moved with partition ${partition} to another node; attach to it there`, {
      status: 503,
    });
    this.partition = partition;
    this.invocationId = invocationId;
  }
}
