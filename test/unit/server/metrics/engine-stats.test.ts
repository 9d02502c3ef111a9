import { describe, expect, it } from "vitest";
import type { InvokerEvent } from "../../../../invoker/index.js";
import type { InvocationId } from "../../../../protocol/index.js";
import { BucketHistogram } from "../../../../server/metrics/bucket-histogram.js";
import { EngineStats } from "../../../../server/metrics/engine-stats.js";
import { LabeledCounter } from "../../../../server/metrics/labeled-counter.js";
import { MetricsErrorCode } from "../../../../server/metrics/metrics-errors.js";

const subject = { invocationId: "inv_1" as InvocationId, target: "Counter/some/key/add", attempt: 0 };
const failed = (then: "retry" | "paused" | "killed" | "fenced" | "unrecorded", code = "500"): InvokerEvent => ({
  type: "attempt-failed",
  ...subject,
  failure: `[${code}] boom`,
  code,
  then,
});

describe("EngineStats", () => {
  it("counts attempts and failures by service and handler, never by key, and retries for retry and unrecorded", () => {
    const stats = new EngineStats();
    stats.invokerEvent({ type: "attempt-started", ...subject });
    stats.invokerEvent({ type: "attempt-started", ...subject, target: "Counter/other/add" });
    stats.invokerEvent(failed("retry"));
    stats.invokerEvent(failed("unrecorded", "storage"));
    stats.invokerEvent(failed("paused"));
    stats.invokerEvent({ type: "invocation-left", ...subject, how: "ended" });
    stats.invokerEvent({ type: "state", state: "draining" });

    expect([...stats.attempts.series()]).toEqual([{ labels: { service: "Counter", handler: "add" }, value: 2 }]);
    expect(stats.retries.get(["Counter", "add"])).toBe(2);
    expect(stats.attemptFailures.get(["Counter", "add", "500", "retry"])).toBe(1);
    expect(stats.attemptFailures.get(["Counter", "add", "storage", "unrecorded"])).toBe(1);
    expect(stats.attemptFailures.get(["Counter", "add", "500", "paused"])).toBe(1);
  });

  it("counts started and completed invocations by result, and observes each commit", () => {
    const stats = new EngineStats();
    const target = { service: "Greeter", handler: "greet", key: "" };
    stats.invocationStarted(target);
    stats.invocationCompleted(target, { kind: "value", value: new Uint8Array() });
    stats.invocationCompleted(target, { kind: "failure", code: 500, message: "no" });
    stats.committed(3, 0.002);
    expect(stats.invocationsStarted.get(["Greeter", "greet"])).toBe(1);
    expect(stats.invocationsCompleted.get(["Greeter", "greet", "success"])).toBe(1);
    expect(stats.invocationsCompleted.get(["Greeter", "greet", "failure"])).toBe(1);
    expect([stats.commitBatchSize.count, stats.commitBatchSize.sum]).toEqual([1, 3]);
    expect(stats.commitSeconds.sum).toBe(0.002);
  });

  it("counts ingress responses by route kind and status", () => {
    const stats = new EngineStats();
    stats.ingressResponse("POST", "/Greeter/greet/send?delay=1s", 202);
    stats.ingressResponse("POST", "/Greeter/greet", 200);
    stats.ingressResponse("POST", "/Greeter/greet", 200);
    expect(stats.ingressRequests.get(["send", 202])).toBe(1);
    expect(stats.ingressRequests.get(["call", 200])).toBe(2);
  });
});

describe("LabeledCounter", () => {
  it("keeps one series per combination of values, named by label", () => {
    const counter = new LabeledCounter(["a", "b"]);
    counter.inc(["x", "y"]);
    counter.inc(["x", "y"], 2);
    // Joined with a separator no name holds: ("x y", "") is not ("x", "y ").
    counter.inc(["x y", ""]);
    expect([...counter.series()]).toEqual([
      { labels: { a: "x", b: "y" }, value: 3 },
      { labels: { a: "x y", b: "" }, value: 1 },
    ]);
    expect(counter.get(["nope", "nope"])).toBe(0);
  });
});

describe("BucketHistogram", () => {
  it("counts an observation in the first bucket whose bound it does not exceed, cumulatively", () => {
    const histogram = new BucketHistogram([1, 2, 4]);
    for (const v of [0.5, 1, 1.5, 4, 9]) histogram.observe(v);
    expect(histogram.buckets()).toEqual([
      { le: 1, count: 2 },
      { le: 2, count: 3 },
      { le: 4, count: 4 },
      { le: "+Inf", count: 5 },
    ]);
    expect([histogram.count, histogram.sum]).toEqual([5, 16]);
  });

  it("refuses bounds that are not finite and increasing", () => {
    for (const bounds of [[], [2, 1], [1, 1], [1, Number.POSITIVE_INFINITY]]) {
      expect(() => new BucketHistogram(bounds)).toThrow(expect.objectContaining({ code: MetricsErrorCode.BadBuckets }));
    }
  });
});
