/**
 * Chaos soak driver (`npm run chaos`): real stet processes and an official-SDK service, faults injected
 * for a bounded time while a client keeps sending invocations with idempotency keys, each asked again
 * until answered; then every accepted invocation must complete, no side effect may be observed twice and
 * every object counter must be exact. Prints a JSON summary; exits 1 when any of that fails.
 *
 *   npm run chaos -- --minutes 2 --kill-every 8 --rate 40                  one stet on SQLite, kill -9
 *   npm run chaos -- --cluster 3 --pause-every 12 --lease-ttl 2s           three nodes on PostgreSQL
 *
 * Everything runs on loopback; every loop is bounded by --minutes plus a drain deadline.
 */
import { runCluster } from "./cluster.js";
import { parseChaosOptions } from "./options.js";
import { runSingle } from "./single.js";
import { Teardown } from "./teardown.js";

async function main(): Promise<number> {
  let options;
  try {
    options = parseChaosOptions(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const teardown = new Teardown();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void teardown.run().finally(() => process.exit(130)));
  }
  try {
    const summary = options.cluster > 0 ? await runCluster(options, teardown) : await runSingle(options, teardown);
    console.log(JSON.stringify(summary, null, 2));
    const failed = summary.lost > 0 || summary.duplicates > 0 || summary.unacceptedRuns > 0 || !summary.countersExact || summary.unanswered > 0;
    const missed = summary.mode === "cluster" && summary.failover.missed > 0;
    return failed || missed ? 1 : 0;
  } finally {
    await teardown.run();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error("chaos run failed:", error);
    process.exit(1);
  },
);
