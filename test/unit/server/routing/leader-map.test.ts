import { describe, expect, it } from "vitest";
import type { NodeAddress } from "../../../../postgres/index.js";
import { LeaderMap, type LeaderSource } from "../../../../server/routing/index.js";
import { advertisedHost } from "../../../../server/config.js";

const node = (nodeId: string): NodeAddress => ({ nodeId, ingressUrl: `http://${nodeId}:8080`, adminUrl: `http://${nodeId}:9070` });

/** A leader table the test rewrites, counting reads. */
function table(initial: Record<number, string>) {
  let current = initial;
  const source = {
    reads: 0,
    set: (next: Record<number, string>) => void (current = next),
    leaders: async () => {
      source.reads++;
      return new Map(Object.entries(current).map(([p, id]) => [Number(p), node(id)]));
    },
  } satisfies LeaderSource & Record<string, unknown>;
  return source;
}

describe("LeaderMap", () => {
  it("reuses one read for every partition until it is older than maxAgeMs", async () => {
    let now = 0;
    const source = table({ 0: "b", 1: "c" });
    const map = new LeaderMap({ source, self: "a", maxAgeMs: 1_000, liveWithinMs: 2_000, now: () => now });
    expect((await map.leaderOf(0))?.nodeId).toBe("b");
    expect((await map.leaderOf(1))?.nodeId).toBe("c");
    expect(source.reads).toBe(1);
    source.set({ 0: "c" });
    // Stale until it ages out or is forgotten: the forwarder forgets it when the node it named answers 503.
    expect((await map.leaderOf(0))?.nodeId).toBe("b");
    map.forget();
    expect((await map.leaderOf(0))?.nodeId).toBe("c");
    source.set({ 0: "b" });
    now = 1_000;
    expect((await map.leaderOf(0))?.nodeId).toBe("b");
    expect(source.reads).toBe(3);
  });

  it("reloads on a miss, and never names this node or a partition without a leader", async () => {
    const source = table({ 0: "a" });
    const map = new LeaderMap({ source, self: "a", maxAgeMs: 60_000, liveWithinMs: 2_000 });
    expect(await map.leaderOf(0)).toBeUndefined();
    expect(await map.leaderOf(1)).toBeUndefined();
    expect(source.reads).toBe(2);
    source.set({ 0: "a", 1: "b" });
    expect((await map.leaderOf(1))?.nodeId).toBe("b");
  });

  it("shares one read between concurrent misses", async () => {
    const source = table({ 0: "b", 1: "b" });
    const map = new LeaderMap({ source, self: "a", liveWithinMs: 2_000 });
    const found = await Promise.all([map.leaderOf(0), map.leaderOf(1), map.leaderOf(0)]);
    expect(found.map((l) => l?.nodeId)).toEqual(["b", "b", "b"]);
    expect(source.reads).toBe(1);
  });
});

describe("advertisedHost", () => {
  const hostname = () => "machine-7";
  it("is the setting when given, else a bind host naming one address, else the hostname", () => {
    expect(advertisedHost({ host: "0.0.0.0", advertisedHost: "stet-1.internal" }, hostname)).toBe("stet-1.internal");
    expect(advertisedHost({ host: "10.0.0.5" }, hostname)).toBe("10.0.0.5");
    expect(advertisedHost({ host: "0.0.0.0" }, hostname)).toBe("machine-7");
    expect(advertisedHost({ host: "::" }, hostname)).toBe("machine-7");
  });
});
