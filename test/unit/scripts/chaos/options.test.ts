import { describe, expect, it } from "vitest";
import { parseChaosOptions } from "../../../../scripts/chaos/options.js";

describe("chaos options", () => {
  it("defaults: one stet on SQLite for 2 minutes, 40 requests a second, a kill every 8 s", () => {
    expect(parseChaosOptions([])).toMatchObject({ cluster: 0, minutes: 2, ratePerSec: 40, killEveryMs: 8_000, settleMs: 120_000 });
  });

  it("--cluster takes the cluster's own settings, durations as stet reads them", () => {
    const options = parseChaosOptions(["--cluster", "3", "--pause-every", "5", "--lease-ttl", "1500ms", "--partitions", "4", "--kill-every", "0"]);
    expect(options).toMatchObject({ cluster: 3, pauseEveryMs: 5_000, leaseTtl: "1500ms", leaseTtlMs: 1_500, partitions: 4, killEveryMs: 0 });
  });

  it("reports every problem at once, with the usage", () => {
    const error = (() => {
      try {
        parseChaosOptions(["--cluster", "1", "--rate", "x", "--lease-ttl", "soon"]);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    expect(error).toContain("--cluster 1");
    expect(error).toContain('--rate "x"');
    expect(error).toContain('--lease-ttl "soon"');
    expect(error).toContain("npm run chaos --");
  });

  it("cluster-only flags are refused without --cluster; unknown flags too", () => {
    expect(() => parseChaosOptions(["--pause-every", "3"])).toThrow("--pause-every applies only with --cluster");
    expect(() => parseChaosOptions(["--nodes", "3"])).toThrow(/nodes/);
  });
});
