import { StetError } from "../protocol/errors.js";

/** A segmented queue option is out of range; thrown by the constructor, listing every problem at once. */
export class QueueOptionsError extends StetError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super("STET_QUEUE_INVALID_OPTIONS", `invalid segmented queue options: ${problems.join("; ")}`, { status: 500 });
    this.name = "QueueOptionsError";
    this.problems = problems;
  }
}

/**
 * A spill file could not be written or read back. On a failed write nothing was enqueued (the caller may
 * retry); on a failed read the segment's items are gone from the queue (`lostItems`) — they are not lost
 * for good, because the queue is rebuilt from the partition store on the next start.
 */
export class QueueSpillError extends StetError {
  readonly file: string;
  readonly lostItems: number;

  constructor(message: string, file: string, lostItems: number, cause: unknown) {
    super("STET_QUEUE_SPILL_FAILED", message, { status: 500, cause });
    this.name = "QueueSpillError";
    this.file = file;
    this.lostItems = lostItems;
  }
}

/** An item the queue's codec could not write to a spill file (a bug in the caller); it was not enqueued. */
export class QueueItemError extends StetError {
  constructor(problem: string) {
    super("STET_QUEUE_INVALID_ITEM", `cannot enqueue item: ${problem}`, { status: 500 });
    this.name = "QueueItemError";
  }
}
