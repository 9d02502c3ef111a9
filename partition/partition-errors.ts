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
