import { StetError } from "../protocol/errors.js";

export class NotLeaderError extends StetError {
  constructor(partition: number) {
    super("STET_PARTITION_NOT_LEADER", `partition ${partition} is not led by this node right now; retry later`, {
      status: 503,
    });
  }
}
