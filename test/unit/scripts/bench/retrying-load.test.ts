import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { RetryingLoad } from "../../../../scripts/bench/retrying-load.js";

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server answering each request by `answer(its idempotency key, how often that key was seen before)`. */
async function serve(answer: (key: string, seen: number) => number): Promise<{ url: string; seen: Map<string, number> }> {
  const seen = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const key = String(req.headers["idempotency-key"]);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    req.resume().on("end", () => res.writeHead(answer(key, n)).end("1"));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe("bench RetryingLoad", () => {
  it("retries each request with its own idempotency key until it is answered: none lost", async () => {
    const { url, seen } = await serve((_key, n) => (n === 0 ? 503 : 200));
    const load = new RetryingLoad({ origins: () => [url], loops: 2, pauseMs: 5, keys: 3, attemptTimeoutMs: 1_000 }).start();
    await new Promise((r) => setTimeout(r, 300));
    const out = await load.stop(5_000);
    expect(out.answered).toBeGreaterThan(0);
    expect(out.lost).toBe(0);
    expect(out.retried).toBe(out.answered);
    expect(out.failedAttempts.counts["503"]).toBe(out.answered);
    expect([...out.answeredPerKey.values()].reduce((a, b) => a + b, 0)).toBe(out.answered);
    expect([...seen.values()].every((n) => n === 2)).toBe(true);
  });

  it("counts a request still unanswered when it gives up as lost", async () => {
    const { url } = await serve(() => 503);
    const load = new RetryingLoad({ origins: () => [url], loops: 2, pauseMs: 5, keys: 3, attemptTimeoutMs: 1_000 }).start();
    await new Promise((r) => setTimeout(r, 100));
    const out = await load.stop(100);
    expect(out).toMatchObject({ answered: 0, lost: 2 });
  });
});
