import { describe, expect, it } from "vitest";
import { planPlacement, shareOf, type PlacementInput } from "../../../partition/placement.js";
import type { Lease } from "../../../partition/storage/lease-store.js";

const P = 8;
const TTL = 1_000;

/**
 * Nodes deciding one after another on a shared lease table, as their rounds would: each plans from the
 * table as it is, then takes (free leases only, as the store grants them) and hands over (releases).
 */
class Cluster {
  readonly leases = new Map<number, Lease>();
  now = 1_000_000;
  live: string[] = [];

  led(node: string): number[] {
    return [...this.leases.values()].filter((l) => l.holder === node && l.expiresAt > this.now).map((l) => l.partition).sort((a, b) => a - b);
  }

  round(node: string, extra: Partial<PlacementInput> = {}) {
    const plan = planPlacement({
      self: node,
      partitionCount: P,
      liveNodes: this.live,
      leases: [...this.leases.values()],
      now: this.now,
      leading: new Set(this.led(node)),
      taking: new Set(),
      releasing: new Set(),
      overdue: new Set(),
      settled: true,
      ...extra,
    });
    for (const p of plan.handOver) this.leases.set(p, { ...this.leases.get(p)!, expiresAt: 0 });
    for (const p of plan.take) {
      const lease = this.leases.get(p);
      if (lease !== undefined && lease.holder !== node && lease.expiresAt > this.now) continue; // refused by the store
      this.leases.set(p, { partition: p, holder: node, epoch: (lease?.epoch ?? 0) + 1, expiresAt: this.now + TTL });
    }
    return plan;
  }

  /** Rounds of every live node until nothing moves; returns how many rounds that took. */
  settle(maxRounds = 20): number {
    for (let i = 1; i <= maxRounds; i++) {
      const before = JSON.stringify([...this.leases.entries()].sort());
      for (const node of this.live) this.round(node);
      this.renew();
      if (JSON.stringify([...this.leases.entries()].sort()) === before) return i;
    }
    throw new Error("placement did not settle");
  }

  /** Live nodes renew what they hold. */
  renew(): void {
    for (const lease of this.leases.values()) {
      if (this.live.includes(lease.holder) && lease.expiresAt > this.now) this.leases.set(lease.partition, { ...lease, expiresAt: this.now + TTL });
    }
  }

  /** Every partition led by exactly one live node. */
  expectAllLed(): void {
    for (let p = 0; p < P; p++) {
      const lease = this.leases.get(p);
      expect(lease !== undefined && lease.expiresAt > this.now && this.live.includes(lease.holder), `partition ${p} led`).toBe(true);
    }
  }
}

describe("partition placement", () => {
  it("a node alone takes every partition", () => {
    const c = new Cluster();
    c.live = ["a"];
    expect(c.round("a").take).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(c.led("a")).toHaveLength(P);
  });

  it("counts itself live before the directory lists it", () => {
    const c = new Cluster();
    c.live = [];
    expect(c.round("a").share).toBe(P);
  });

  it("shares differ by at most one and add up to the partitions", () => {
    for (let n = 1; n <= 10; n++) {
      const shares = Array.from({ length: n }, (_, r) => shareOf(r, n, P));
      expect(shares.reduce((a, b) => a + b)).toBe(P);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
  });

  it("spreads evenly over three nodes that start together", () => {
    const c = new Cluster();
    c.live = ["a", "b", "c"];
    c.settle();
    c.expectAllLed();
    expect(["a", "b", "c"].map((n) => c.led(n).length)).toEqual([3, 3, 2]);
  });

  it("a joining node gets its share handed over; a node that dies has its partitions taken", () => {
    const c = new Cluster();
    c.live = ["a"];
    c.settle();
    expect(c.led("a")).toHaveLength(P);

    c.live = ["a", "b"];
    c.settle();
    c.expectAllLed();
    expect([c.led("a").length, c.led("b").length]).toEqual([4, 4]);

    c.live = ["a", "b", "c"];
    c.settle();
    c.expectAllLed();
    expect(["a", "b", "c"].map((n) => c.led(n).length)).toEqual([3, 3, 2]);

    // b dies: its leases run out and it leaves the directory.
    c.live = ["a", "c"];
    c.now += TTL + 1;
    c.renew();
    for (const node of ["a", "c"]) for (const p of c.led(node)) c.leases.set(p, { ...c.leases.get(p)!, expiresAt: c.now + TTL });
    c.settle();
    c.expectAllLed();
    expect([c.led("a").length, c.led("c").length]).toEqual([4, 4]);
  });

  it("hands nothing over until the live nodes have settled", () => {
    const c = new Cluster();
    c.live = ["a"];
    c.settle();
    c.live = ["a", "b"];
    expect(c.round("a", { settled: false }).handOver).toEqual([]);
    expect(c.round("a").handOver).toHaveLength(4);
  });

  it("hands over no more than the nodes below their share can take", () => {
    const c = new Cluster();
    c.live = ["a"];
    c.settle();
    // b is live but already leads one partition taken from a free pool; a leads seven.
    c.leases.set(7, { partition: 7, holder: "b", epoch: 9, expiresAt: c.now + TTL });
    c.live = ["a", "b"];
    expect(c.round("a").handOver).toHaveLength(3);
    // A node still listed as live while its leases were not renewed is not a taker above its share.
    const d = new Cluster();
    d.live = ["a", "b"];
    for (let p = 0; p < P; p++) d.leases.set(p, { partition: p, holder: p < 6 ? "a" : "b", epoch: 1, expiresAt: d.now + TTL });
    expect(d.round("a").handOver).toHaveLength(2);
    // ...but when b already has its share, a keeps what it has.
    for (let p = 0; p < P; p++) d.leases.set(p, { partition: p, holder: p < 4 ? "a" : "b", epoch: 1, expiresAt: d.now + TTL });
    expect(d.round("a").handOver).toEqual([]);
  });

  it("a node at its share leaves free partitions to others, unless they stay free too long", () => {
    const c = new Cluster();
    c.live = ["a", "b"];
    for (let p = 0; p < 4; p++) c.leases.set(p, { partition: p, holder: "a", epoch: 1, expiresAt: c.now + TTL });
    expect(c.round("a").take).toEqual([]);
    expect(c.round("a", { overdue: new Set([5, 6]) }).take).toEqual([5, 6]);
  });

  it("never proposes a partition it is taking or handing over", () => {
    const c = new Cluster();
    c.live = ["a"];
    const plan = c.round("a", { taking: new Set([0, 1]), releasing: new Set([2]), overdue: new Set([2]) });
    expect(plan.take).toEqual([3, 4, 5, 6, 7]);
  });

  it("takes back its own lease left by an earlier run of the same node", () => {
    const c = new Cluster();
    c.live = ["a"];
    c.leases.set(3, { partition: 3, holder: "a", epoch: 4, expiresAt: c.now + TTL });
    expect(c.round("a", { leading: new Set() }).take).toContain(3);
  });
});
