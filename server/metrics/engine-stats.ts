import type { InvokerEvent } from "../../invoker/index.js";
import type { InvocationOutcome, InvocationTarget, PartitionStats } from "../../partition/index.js";
import { BucketHistogram } from "./bucket-histogram.js";
import { LabeledCounter } from "./labeled-counter.js";
import { ingressRouteKind, serviceAndHandler } from "./labels.js";

/** Commands per group commit: powers of two up to the most one tick gathered in the W1 benchmark's runs. */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/** Seconds per group commit, fsync included: from a page-cache write (~0.2 ms) to a stalled disk. */
export const COMMIT_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The numbers the engine counts as it works, held as plain numbers: each event costs a map lookup and
 * an addition, and prom-client is not needed (nor loaded) until someone scrapes `/metrics`. Values that
 * can be read on demand (queue length, live attempts, leadership, file sizes) are not kept here: the
 * registry reads them at scrape time (prometheus-registry.ts).
 */
export class EngineStats implements PartitionStats {
  readonly ingressRequests = new LabeledCounter(["kind", "status"]);
  readonly invocationsStarted = new LabeledCounter(["service", "handler"]);
  readonly invocationsCompleted = new LabeledCounter(["service", "handler", "result"]);
  readonly attempts = new LabeledCounter(["service", "handler"]);
  readonly attemptFailures = new LabeledCounter(["service", "handler", "code", "then"]);
  readonly retries = new LabeledCounter(["service", "handler"]);
  /** Requests passed on to another node (cluster mode), by API (ingress, admin) and how that ended. */
  readonly forwardedRequests = new LabeledCounter(["api", "outcome"]);
  readonly commitBatchSize = new BucketHistogram(BATCH_SIZE_BUCKETS);
  readonly commitSeconds = new BucketHistogram(COMMIT_SECONDS_BUCKETS);

  invocationStarted(target: InvocationTarget): void {
    this.invocationsStarted.inc([target.service, target.handler]);
  }

  invocationCompleted(target: InvocationTarget, outcome: InvocationOutcome): void {
    this.invocationsCompleted.inc([target.service, target.handler, outcome.kind === "value" ? "success" : "failure"]);
  }

  committed(commands: number, seconds: number): void {
    this.commitBatchSize.observe(commands);
    this.commitSeconds.observe(seconds);
  }

  invokerEvent(event: InvokerEvent): void {
    switch (event.type) {
      case "attempt-started": {
        const { service, handler } = serviceAndHandler(event.target);
        this.attempts.inc([service, handler]);
        return;
      }
      case "attempt-failed": {
        const { service, handler } = serviceAndHandler(event.target);
        this.attemptFailures.inc([service, handler, event.code, event.then]);
        if (event.then === "retry" || event.then === "unrecorded") this.retries.inc([service, handler]);
        return;
      }
      default:
        return;
    }
  }

  forwarded(api: string, outcome: string): void {
    this.forwardedRequests.inc([api, outcome]);
  }

  ingressResponse(method: string, url: string, statusCode: number): void {
    this.ingressRequests.inc([ingressRouteKind(method, url), statusCode]);
  }
}
