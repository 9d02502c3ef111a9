import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { parsePrometheusText, sampleValue, type Sample } from "../helpers/prometheus-text.js";
import { useStetWithServices } from "../helpers/stet-with-services.js";
import { flakyService } from "../helpers/flaky-service.js";

const setup = useStetWithServices();

const greeter = restate.service({
  name: "Greeter",
  handlers: { greet: async (_ctx: restate.Context, name: string) => `hello ${name}` },
});
const { service: flaky, failNext } = flakyService();
const refuser = restate.service({
  name: "Refuser",
  handlers: {
    refuse: async () => {
      throw new restate.TerminalError("no, thanks");
    },
  },
});

async function scrape(adminUrl: string, path = "/metrics"): Promise<{ contentType: string; samples: Sample[] }> {
  const res = await fetch(`${adminUrl}${path}`);
  expect(res.status).toBe(200);
  return { contentType: res.headers.get("content-type") ?? "", samples: parsePrometheusText(await res.text()) };
}

describe("GET /metrics", () => {
  it("counts invocations, attempts, retries, ingress requests and group commits, and reads gauges on scrape", async () => {
    const stet = await setup([greeter, flaky, refuser], { partitions: 4 });
    for (const name of ["Ada", "Bob", "Cy"]) expect(await (await stet.call("/Greeter/greet", name)).json()).toBe(`hello ${name}`);
    failNext(1);
    expect(await (await stet.call("/Flaky/run")).json()).toBe("ok");
    expect((await stet.call("/Refuser/refuse")).status).toBe(500);
    expect((await stet.call("/Greeter/greet/send?delay=1h", "Later")).status).toBe(202);
    expect((await fetch(`${stet.node.ingressUrl}/restate/health`)).status).toBe(200);
    expect((await stet.call("/Nobody/home")).status).toBe(404);

    const cpuBefore = process.cpuUsage();
    const { contentType, samples } = await scrape(stet.node.adminUrl);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const value = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels);

    const greet = { service: "Greeter", handler: "greet" };
    const run = { service: "Flaky", handler: "run" };
    // The delayed send is stored (started) but has not run.
    expect(value("stet_invocations_started_total", greet)).toBe(4);
    expect(value("stet_invocations_completed_total", { ...greet, result: "success" })).toBe(3);
    expect(value("stet_invocations_completed_total", { ...run, result: "success" })).toBe(1);
    expect(value("stet_invocations_completed_total", { service: "Refuser", handler: "refuse", result: "failure" })).toBe(1);
    expect(value("stet_invoker_attempts_total", run)).toBe(2);
    expect(value("stet_invoker_retries_total", run)).toBe(1);
    // The SDK reports an error thrown in ctx.run with code 500.
    expect(value("stet_invoker_attempt_failures_total", { ...run, code: "500", then: "retry" })).toBe(1);
    expect(value("stet_invoker_attempt_failures_total", { service: "Greeter" })).toBeUndefined();

    expect(value("stet_ingress_requests_total", { kind: "call", status: "200" })).toBe(4);
    expect(value("stet_ingress_requests_total", { kind: "call", status: "500" })).toBe(1);
    expect(value("stet_ingress_requests_total", { kind: "call", status: "404" })).toBe(1);
    expect(value("stet_ingress_requests_total", { kind: "send", status: "202" })).toBe(1);
    expect(value("stet_ingress_requests_total", { kind: "health", status: "200" })).toBe(1);

    expect(value("stet_timers_pending")).toBe(1);
    expect(value("stet_invoker_queue_length")).toBe(0);
    expect(value("stet_invoker_queue_dropped_total")).toBe(0);
    for (const partition of ["0", "1", "2", "3"]) {
      expect(value("stet_partition_leader", { partition })).toBe(1);
      expect(value("stet_partition_leader_epoch", { partition })).toBeGreaterThanOrEqual(1);
    }
    expect(value("stet_partition_leader", { partition: "4" })).toBeUndefined();

    const batches = value("stet_group_commit_batch_size_count")!;
    expect(batches).toBeGreaterThan(0);
    expect(value("stet_group_commit_batch_size_bucket", { le: "+Inf" })).toBe(batches);
    // At least one command per invocation started, and one End per completed.
    expect(value("stet_group_commit_batch_size_sum")).toBeGreaterThanOrEqual(4 + 5);
    expect(value("stet_group_commit_duration_seconds_count")).toBe(batches);
    expect(value("stet_group_commit_duration_seconds_sum")).toBeGreaterThan(0);

    expect(value("stet_storage_file_size_bytes", { file: "db" })).toBeGreaterThan(0);
    expect(value("stet_storage_file_size_bytes", { file: "wal" })).toBeGreaterThan(0);
    // prom-client's default metrics, CPU counted from the process's start although they were made on this scrape.
    expect(value("nodejs_eventloop_lag_seconds")).toBeGreaterThanOrEqual(0);
    expect(value("process_cpu_seconds_total")).toBeGreaterThanOrEqual((cpuBefore.user + cpuBefore.system) / 1e6);
  });

  it("is served under /v2 to /v4 too, and reads leadership when scraped", async () => {
    const stet = await setup([greeter], { partitions: 2 });
    const before = await scrape(stet.node.adminUrl, "/v4/metrics");
    expect(before.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sampleValue(before.samples, "stet_partition_leader", { partition: "1" })).toBe(1);

    await stet.node.partitions.stepDown(1, "test");
    const after = await scrape(stet.node.adminUrl, "/v2/metrics");
    expect(sampleValue(after.samples, "stet_partition_leader", { partition: "0" })).toBe(1);
    expect(sampleValue(after.samples, "stet_partition_leader", { partition: "1" })).toBe(0);
    expect(sampleValue(after.samples, "stet_partition_leader_epoch", { partition: "1" })).toBe(0);
    expect((await fetch(`${stet.node.adminUrl}/v1/metrics`)).status).toBe(400);
  });
});
