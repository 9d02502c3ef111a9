import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { median } from "../bench/load.js";
import { freePort } from "../lib/free-port.js";
import { runLoad } from "./load-client.js";
import type { ChaosOptions } from "./options.js";
import { ErrorLines, registerDeployment, sleep, startLoadService } from "./processes.js";
import { readSideEffects } from "./side-effect-log.js";
import { StetNode } from "./stet-node.js";
import type { Teardown } from "./teardown.js";
import { verify, type Verdict } from "./verify.js";

export interface SingleSummary extends Verdict {
  readonly mode: "single";
  readonly minutes: number;
  readonly kills: number;
  readonly sent: number;
  readonly unanswered: number;
  readonly resent: number;
  /** From a kill -9 to the restarted stet answering its ingress /restate/health. */
  readonly longestRecoveryMs: number;
  readonly medianRecoveryMs: number;
  readonly stetErrorLines: number;
  readonly stetErrorSamples: readonly string[];
}

/** One stet on SQLite, killed with kill -9 at random moments and restarted on the same data folder. */
export async function runSingle(options: ChaosOptions, teardown: Teardown): Promise<SingleSummary> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "stet-chaos-"));
  teardown.defer(() => fs.rmSync(work, { recursive: true, force: true }));
  const errors = new ErrorLines();
  const stet = new StetNode("stet", path.join(work, "data"), [], errors);
  teardown.defer(() => stet.stop());
  await stet.start();
  const service = await startLoadService(await freePort(), path.join(work, "side-effects"));
  teardown.defer(() => service.child.kill("SIGTERM"));
  await registerDeployment(stet.adminUrl, service.url);

  const endAt = Date.now() + options.minutes * 60_000;
  const recoveries: number[] = [];
  const killer = async () => {
    while (options.killEveryMs > 0) {
      const wait = options.killEveryMs * (0.5 + Math.random());
      if (Date.now() + wait >= endAt) return;
      await sleep(wait);
      const killedAt = Date.now();
      await stet.kill();
      await stet.start();
      recoveries.push(Date.now() - killedAt);
    }
  };
  const ingress = () => [stet.ingressUrl];
  const admin = () => [stet.adminUrl];
  const [ledger] = await Promise.all([runLoad({ ingress, ratePerSec: options.ratePerSec, endAt, drainMs: options.settleMs }), killer()]);
  const verdict = await verify({ ingress, admin, ledger, sideEffects: () => readSideEffects(service.logFile), timeoutMs: options.settleMs });
  return {
    mode: "single",
    minutes: options.minutes,
    kills: recoveries.length,
    sent: ledger.sent,
    unanswered: ledger.unanswered,
    resent: ledger.resent,
    ...verdict,
    longestRecoveryMs: Math.max(0, ...recoveries),
    medianRecoveryMs: recoveries.length === 0 ? 0 : median(recoveries),
    stetErrorLines: errors.lines.length,
    stetErrorSamples: errors.lines.slice(0, 3),
  };
}
