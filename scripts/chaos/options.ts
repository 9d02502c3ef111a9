import { parseArgs } from "node:util";
import { parseDuration } from "../../server/config.js";

/** A chaos run's settings, validated once. Periods are means: each wait is drawn from 0.5x to 1.5x. */
export interface ChaosOptions {
  /** How long the client sends new requests, in minutes. Default 2. */
  readonly minutes: number;
  /** New requests per second, half sends of Load/work and half Tally adds. Default 40. */
  readonly ratePerSec: number;
  /** Mean time between two kill -9s, in ms; 0 = none. Default 8 s. */
  readonly killEveryMs: number;
  /** Cluster: mean time between two SIGSTOPs past the lease, in ms; 0 = none. Default 12 s. */
  readonly pauseEveryMs: number;
  /** Cluster nodes on one PostgreSQL; 0 = one stet on SQLite (the single-node soak). Default 0. */
  readonly cluster: number;
  /** Cluster: stet's --lease-ttl, as given ("2s") and in ms. Default 2s. */
  readonly leaseTtl: string;
  readonly leaseTtlMs: number;
  /** Cluster: stet's --partitions. Default 8. */
  readonly partitions: number;
  /**
   * After the load: how long unanswered requests are still asked again, and then how long accepted
   * invocations may take to complete, in ms each. Default 120 s.
   */
  readonly settleMs: number;
}

export const USAGE = `npm run chaos -- [--minutes 2] [--rate 40] [--kill-every 8] [--settle 120]
  [--cluster 3 [--pause-every 12] [--lease-ttl 2s] [--partitions 8]]
Without --cluster: one stet on SQLite, killed with kill -9 and restarted.
With --cluster N: N stet nodes on a throwaway PostgreSQL, killed (and restarted, sometimes on an empty
data folder) and paused with SIGSTOP past their lease, one fault at a time.`;

/** Parses the driver's argv; throws one Error naming every problem. */
export function parseChaosOptions(args: readonly string[]): ChaosOptions {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      minutes: { type: "string", default: "2" },
      rate: { type: "string", default: "40" },
      "kill-every": { type: "string", default: "8" },
      "pause-every": { type: "string" },
      cluster: { type: "string", default: "0" },
      "lease-ttl": { type: "string" },
      partitions: { type: "string" },
      settle: { type: "string", default: "120" },
    },
  });
  const problems: string[] = [];
  const number = (flag: string, text: string, min: number, integer = false): number => {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
      problems.push(`--${flag} ${JSON.stringify(text)}: expected ${integer ? "an integer" : "a number"} >= ${min}`);
    }
    return value;
  };
  const cluster = number("cluster", values.cluster, 0, true);
  if (cluster === 1) problems.push("--cluster 1: a cluster needs at least 2 nodes (without --cluster: one stet on SQLite)");
  if (cluster === 0) {
    for (const flag of ["pause-every", "lease-ttl", "partitions"] as const) {
      if (values[flag] !== undefined) problems.push(`--${flag} applies only with --cluster`);
    }
  }
  const leaseTtl = values["lease-ttl"] ?? "2s";
  const leaseTtlMs = parseDuration(leaseTtl);
  if (leaseTtlMs === undefined || leaseTtlMs <= 0) problems.push(`--lease-ttl ${JSON.stringify(leaseTtl)}: expected a duration such as 2s or 1500ms`);
  const options: ChaosOptions = Object.freeze({
    minutes: number("minutes", values.minutes, 0),
    ratePerSec: number("rate", values.rate, 0.1),
    killEveryMs: number("kill-every", values["kill-every"], 0) * 1000,
    pauseEveryMs: number("pause-every", values["pause-every"] ?? "12", 0) * 1000,
    cluster,
    leaseTtl,
    leaseTtlMs: leaseTtlMs ?? 0,
    partitions: number("partitions", values.partitions ?? "8", 1, true),
    settleMs: number("settle", values.settle, 1) * 1000,
  });
  if (problems.length > 0) throw new Error(`${problems.join("\n")}\n\n${USAGE}`);
  return options;
}
