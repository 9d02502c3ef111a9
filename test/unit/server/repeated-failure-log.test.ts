import { pino } from "pino";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { StetError } from "../../../protocol/errors.js";
import { RepeatedFailureLog } from "../../../server/repeated-failure-log.js";

function capture() {
  const lines: Array<{ msg: string; repeated?: number; err?: { code?: string } }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { log: pino({ level: "info" }, sink), lines };
}

const down = () => new StetError("STET_STORE_UNAVAILABLE", "PostgreSQL at x is unavailable", { status: 503 });

describe("RepeatedFailureLog", () => {
  it("logs the first failure of a kind, then at most one line per interval counting those left out", async () => {
    const { log, lines } = capture();
    let now = 0;
    const failures = new RepeatedFailureLog(log, { everyMs: 5_000, now: () => now });
    // A store down for 12 s, retried every 500 ms by two loops.
    for (; now < 12_000; now += 500) {
      failures.failed("registry refresh failed", down());
      failures.failed("partition work failed", down());
    }
    await new Promise((r) => setImmediate(r));
    const refresh = lines.filter((l) => l.msg === "registry refresh failed");
    expect(refresh.map((l) => l.repeated)).toEqual([undefined, 10, 10]);
    expect(refresh[0]!.err?.code).toBe("STET_STORE_UNAVAILABLE");
    expect(lines.filter((l) => l.msg === "partition work failed")).toHaveLength(3);

    // The store answered again: the next outage's first failure is logged at once.
    failures.reset();
    failures.failed("registry refresh failed", down());
    await new Promise((r) => setImmediate(r));
    expect(lines.filter((l) => l.msg === "registry refresh failed")).toHaveLength(4);
  });
});
