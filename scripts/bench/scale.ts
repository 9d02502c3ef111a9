// Scale items (single round each): a burst of N invocations made ready at once, startup on a data folder
// holding those N completed invocations, storage per completed invocation, and reclaim after retention.
import { burst, errorCount, median, newErrors, type Errors } from "./load.js";
import { cpuSeconds, dirSize, memory, RssSampler } from "./proc.js";
import { registerDeployment, sleep, startServer, type RunningServer, type ServerKind, type StartOptions } from "./servers.js";
import { attachAll, getStatus, invocationIdOf, type Metrics, type ServiceProcess } from "./workloads.js";

export interface ScaleOutcome {
  readonly metrics: Metrics;
  readonly errors: Errors;
  readonly notes: string[];
}

async function stats(service: ServiceProcess): Promise<{ noopDone: number; retainedDone: number }> {
  return (await (await fetch(`${service.statsUrl}/stats`)).json()) as { noopDone: number; retainedDone: number };
}

async function waitForNoop(service: ServiceProcess, target: number, timeoutMs: number, alive: () => boolean): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const done = (await stats(service)).noopDone;
    if (done >= target || performance.now() > deadline || !alive()) return done;
    await sleep(100);
  }
}

/**
 * `count` invocations made ready at the same moment: every one is sent with `/send?delay=` computed so
 * that all of them become due at one instant T (sending must finish before T: the delay is sized from a
 * calibration burst of 2000 delayed sends). From T on, the server has `count` ready invocations; we
 * measure how it works them off (time, CPU, RSS), then restart it on the data folder that now holds
 * `count` completed invocations.
 */
export async function runScale(
  kind: ServerKind,
  service: ServiceProcess,
  count: number,
  dataDir: string,
  logFile: string,
  timeoutS: number,
  start: Pick<StartOptions, "nodeFlags" | "bin"> = {},
  restarts = 1,
): Promise<ScaleOutcome> {
  const errors = newErrors();
  const notes: string[] = [];
  const m: Metrics = {};
  let server: RunningServer = await startServer(kind, { dataDir, logFile, ...start });
  try {
    await registerDeployment(server, service.url);
    await sleep(1000);
    // Calibration: how fast does this server take delayed /send? (2000 due 10 s later, then worked off.)
    await fetch(`${service.statsUrl}/reset`, { method: "POST" });
    const calN = Math.min(2000, count);
    const cal = await burst(server.ingressUrl, 64, calN, (i) => ({ path: "/Bench/noop/send?delay=10s", body: String(i) }));
    const calRate = calN / cal.elapsedS;
    await waitForNoop(service, calN, 90_000, () => !server.exited());
    await sleep(1000);
    await fetch(`${service.statsUrl}/reset`, { method: "POST" });
    const size0 = dirSize(dataDir);

    const sendBudgetMs = (count / (0.6 * calRate)) * 1000 + 10_000;
    const t0 = performance.now();
    const due = t0 + sendBudgetMs;
    m["dueAfterS"] = sendBudgetMs / 1000;
    let sentAfterDue = 0;
    const sampler = new RssSampler(server.pid, 100).start();
    const sent = await burst(server.ingressUrl, 64, count, (i) => {
      const delay = Math.round(due - performance.now());
      if (delay <= 0) {
        sentAfterDue++;
        return { path: "/Bench/noop/send", body: String(i) };
      }
      return { path: `/Bench/noop/send?delay=${delay}ms`, body: String(i) };
    });
    const ids = sent.bodies.map(invocationIdOf).filter((x): x is string => x !== undefined);
    m["sendS"] = sent.elapsedS;
    m["sendPerS"] = ids.length / sent.elapsedS;
    m["sentAfterDue"] = sentAfterDue;
    m["ranBeforeDue"] = (await stats(service)).noopDone;
    m["rssAfterSendMb"] = memory(server.pid)?.rssMb ?? NaN;
    m["peakRssSendMb"] = sampler.takeMax();
    for (const [k, v] of Object.entries(sent.errors.counts)) errors.counts[`send ${k}`] = v;
    errors.samples.push(...sent.errors.samples);

    // T: everything becomes ready at once.
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    sampler.takeMax();
    const cpu0 = cpuSeconds(server.pid) ?? NaN;
    const tDue = performance.now();
    // RSS and handlers run, once a second from T (where does the memory go, and when?).
    const timeline: string[] = [];
    const tick = setInterval(() => {
      const rss = memory(server.pid)?.rssMb ?? NaN;
      void stats(service).then(
        (st) => timeline.push(`+${((performance.now() - tDue) / 1000).toFixed(0)}s ${rss.toFixed(0)}MB ${st.noopDone}`),
        () => {},
      );
    }, 1000);
    const done = await waitForNoop(service, ids.length, timeoutS * 1000, () => !server.exited());
    clearInterval(tick);
    notes.push(`RSS and handlers run after T, per second: ${timeline.join(", ")}`);
    if (done < ids.length) {
      errors.counts["timeout"] = ids.length - done;
      errors.samples.push(`timeout: ${done}/${ids.length} ran within ${timeoutS} s after they became due`);
    }
    const drainS = (performance.now() - tDue) / 1000;
    m["drainS"] = drainS;
    m["throughput"] = ids.length / drainS;
    m["serverCpuPer1000"] = (((cpuSeconds(server.pid) ?? NaN) - cpu0) / ids.length) * 1000;
    m["peakRssMb"] = sampler.takeMax();
    sampler.stop();
    m["vmHwmMb"] = memory(server.pid)?.hwmMb ?? NaN;
    // Confirm through the server: attach to the last 500 and a spread of 500 others.
    const step = Math.max(1, Math.floor(ids.length / 500));
    const sample = [...ids.slice(-500), ...ids.filter((_, i) => i % step === 0).slice(0, 500)];
    const att = await attachAll(server, sample);
    m["confirmedS"] = (performance.now() - tDue) / 1000;
    if (att.ok !== sample.length) {
      errors.counts["attach"] = sample.length - att.ok;
      errors.samples.push(...att.errors.samples);
    }
    await sleep(1000);
    m["attemptsPerInvocation"] = (await stats(service)).noopDone / ids.length;
    await sleep(1000);
    const size1 = dirSize(dataDir);
    m["dataDirMb"] = size1.diskMb;
    m["bytesPerCompleted"] = ((size1.diskMb - size0.diskMb) * 1048576) / ids.length;
    m["apparentBytesPerCompleted"] = ((size1.apparentMb - size0.apparentMb) * 1048576) / ids.length;
    m["shutdownMs"] = await server.stop();
    const probe = ids[Math.floor(ids.length / 2)];

    // Restart on the folder that now holds `count` completed invocations (`restarts` times: median).
    const starts: Array<{ adminMs: number; ingressMs: number }> = [];
    for (let i = 0; ; i++) {
      server = await startServer(kind, { dataDir, logFile, ...start });
      starts.push(server.startup);
      if (i + 1 >= restarts) break;
      await server.stop();
    }
    m["startupCompletedAdminMs"] = median(starts.map((s) => s.adminMs));
    m["startupCompletedIngressMs"] = median(starts.map((s) => s.ingressMs));
    notes.push(`restarts on the N completed, to ingress health (ms): ${starts.map((s) => s.ingressMs.toFixed(0)).join(", ")}`);
    await sleep(1000);
    m["idleRssAfterRestartMb"] = memory(server.pid)?.rssMb ?? NaN;
    if (probe !== undefined) {
      const r = await getStatus(server.ingressUrl, `/restate/invocation/${probe}/output`);
      notes.push(`after restart, output of a completed invocation: ${r.status} ${r.body.slice(0, 100)}`);
    }
    notes.push(`calibration: ${calRate.toFixed(0)} delayed /send per s; all ${ids.length} due ${(sendBudgetMs / 1000).toFixed(0)} s after the first send`);
  } finally {
    await server.stop();
  }
  m["errors"] = errorCount(errors);
  return { metrics: m, errors, notes };
}

/**
 * Sends `count` × /send Retained/noop (journal and idempotency retention 5 s), waits until they completed, then polls
 * until their outputs are gone and reports the data folder before and after.
 */
export async function runRetention(
  kind: ServerKind,
  service: ServiceProcess,
  count: number,
  dataDir: string,
  logFile: string,
  waitS: number,
  start: Pick<StartOptions, "env" | "bin">,
): Promise<ScaleOutcome> {
  const errors = newErrors();
  const notes: string[] = [];
  const m: Metrics = {};
  const server = await startServer(kind, { dataDir, logFile, ...start });
  try {
    await registerDeployment(server, service.url);
    await sleep(1000);
    await fetch(`${service.statsUrl}/reset`, { method: "POST" });
    const size0 = dirSize(dataDir);
    const sent = await burst(server.ingressUrl, 64, count, (i) => ({ path: "/Retained/noop/send", body: String(i) }));
    const ids = sent.bodies.map(invocationIdOf).filter((x): x is string => x !== undefined);
    for (const [k, v] of Object.entries(sent.errors.counts)) errors.counts[`send ${k}`] = v;
    const deadline = performance.now() + 300_000;
    while ((await stats(service)).retainedDone < ids.length && performance.now() < deadline) await sleep(100);
    const tDone = performance.now();
    const probes = ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / 50)) === 0);
    const first = await getStatus(server.ingressUrl, `/restate/invocation/${probes[0]!}/output`);
    notes.push(`right after completion, output: ${first.status} ${first.body.slice(0, 80)}`);
    await sleep(1000);
    const size1 = dirSize(dataDir);
    m["sizeCompletedMb"] = size1.diskMb;
    m["bytesPerCompleted"] = ((size1.diskMb - size0.diskMb) * 1048576) / ids.length;
    let goneS = NaN;
    while (performance.now() - tDone < waitS * 1000) {
      const statuses = await Promise.all(probes.map((id) => getStatus(server.ingressUrl, `/restate/invocation/${id}/output`)));
      if (statuses.every((s) => s.status === 404)) {
        goneS = (performance.now() - tDone) / 1000;
        notes.push(`outputs gone: ${statuses[0]!.status} ${statuses[0]!.body.slice(0, 100)}`);
        break;
      }
      await sleep(2000);
    }
    m["goneAfterS"] = goneS;
    if (Number.isNaN(goneS)) notes.push(`outputs still present ${waitS} s after completion`);
    await sleep(3000);
    const size2 = dirSize(dataDir);
    m["sizeAfterRetentionMb"] = size2.diskMb;
    m["reclaimedMb"] = size1.diskMb - size2.diskMb;
  } finally {
    m["shutdownMs"] = await server.stop();
  }
  const size3 = dirSize(dataDir);
  m["sizeAfterStopMb"] = size3.diskMb;
  m["errors"] = errorCount(errors);
  return { metrics: m, errors, notes };
}
