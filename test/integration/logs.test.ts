import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { useStetWithServices } from "../helpers/stet-with-services.js";
import { flakyService } from "../helpers/flaky-service.js";

const setup = useStetWithServices();

interface Line {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A pino logger at debug whose JSON lines land in `lines`, parsed. */
function capturingLogger() {
  const lines: Line[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  return { logger, lines };
}

const DEBUG = 20;
const INFO = 30;
const WARN = 40;

const { service: flaky, failNext } = flakyService();

describe("logs", () => {
  it("logs one line per request at info, health checks at debug, and names the invocation in an attempt's failure", async () => {
    const { logger, lines } = capturingLogger();
    const stet = await setup([flaky], { logger });

    // The first attempt fails inside ctx.run (a retryable error); the SDK ends it, stet retries.
    failNext(1);
    const res = await stet.call("/Flaky/run");
    expect(await res.json()).toBe("ok");
    await fetch(`${stet.node.ingressUrl}/restate/health`);
    await fetch(`${stet.node.adminUrl}/health`);
    await fetch(`${stet.node.adminUrl}/v2/health`);
    await fetch(`${stet.node.adminUrl}/version`);

    // Fastify's own pair of lines is gone: one line per request, after its response.
    expect(lines.filter((l) => l.msg === "incoming request")).toEqual([]);
    const requests = lines.filter((l) => l.msg === "request completed");
    const call = requests.filter((l) => l["url"] === "/Flaky/run");
    expect(call).toHaveLength(1);
    expect(call[0]).toMatchObject({ level: INFO, api: "ingress", method: "POST", statusCode: 200, reqId: expect.any(String) });
    expect(call[0]!["responseTime"]).toEqual(expect.any(Number));
    expect(requests.filter((l) => l["url"] === "/version")).toMatchObject([{ level: INFO, api: "admin", statusCode: 200 }]);

    const health = requests.filter((l) => /health$/.test(String(l["url"])));
    expect(health.map((l) => [l["api"], l.level])).toEqual([
      ["ingress", DEBUG],
      ["admin", DEBUG],
      ["admin", DEBUG],
    ]);

    const failedEvent = await stet.waitFor((e) => e.type === "attempt-failed");
    const failed = lines.filter((l) => l.msg.startsWith("invocation attempt failed"));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      level: WARN,
      invocationId: "invocationId" in failedEvent ? failedEvent.invocationId : "?",
      target: "Flaky/run",
      attempt: 0,
      then: "retry",
    });
    expect(failed[0]!["failure"]).toMatch(/flaky step failed/);
  });
});
