// Scale items (single round each): a burst of N invocations made ready at once, startup on a data folder
// holding those N completed invocations, storage per completed invocation, and reclaim after retention.
import { burst, errorCount, newErrors, type Errors } from "./load.js";
import { cpuSeconds, dirSize, memory, RssSampler } from "./proc.js";
import { registerDeployment, sleep, startServer, type RunningServer, type ServerKind } from "./servers.js";
import { attachAll, getStatus, invocationIdOf, type Metrics, type ServiceProcess } from "./workloads.js";

export interface ScaleOutcome {
  readonly metrics: Metrics;
  readonly errors: Errors;
  readonly notes: string[];
}

async function stats(service: ServiceProcess): Promise<{ noopDone: number; retainedDone: number }> {
  return (await (await fetch(`${service.statsUrl}/stats`)).json()) as { noopDone: number; retainedDone: number };
}

/**
 * Sends `count` × /send Bench/noop at 64 in flight (far faster than they are worked off, so most are
 * ready at once), waits until all ran, then restarts the server on the same data folder.
 */
export async function runScale(
  kind: ServerKind,
  service: ServiceProcess,
  count: number,
  dataDir: string,
  logFile: string,
  timeoutS: number,
): Promise<ScaleOutcome> {
  const errors = newErrors();
  const notes: string[] = [];
  const m: Metrics = {};
  let server: RunningServer = await startServer(kind, { dataDir, logFile });
  try {
    await registerDeployment(server, service.url);
    await sleep(1000);
    await fetch(`${service.statsUrl}/reset`, { method: "POST" });
    const size0 = dirSize(dataDir);
    const sampler = new RssSampler(server.pid, 100).start();
    const cpu0 = cpuSeconds(server.pid) ?? NaN;
    const t0 = performance.now();
    const sent = await burst(server.ingressUrl, 64, count, (i) => ({ path: "/Bench/noop/send", body: String(i) }));
    const ids = sent.bodies.map(invocationIdOf).filter((x): x is string => x !== undefined);
    m["sendS"] = sent.elapsedS;
    m["sendPerS"] = ids.length / sent.elapsedS;
    const atSendEnd = await stats(service);
    m["backlogAtSendEnd"] = ids.length - atSendEnd.noopDone;
    m["rssAtSendEndMb"] = memory(server.pid)?.rssMb ?? NaN;
    for (const [k, v] of Object.entries(sent.errors.counts)) errors.counts[`send ${k}`] = v;
    errors.samples.push(...sent.errors.samples);
    const deadline = performance.now() + timeoutS * 1000;
    let done = atSendEnd.noopDone;
    while (done < ids.length) {
      if (performance.now() > deadline || server.exited()) {
        errors.counts["timeout"] = ids.length - done;
        errors.samples.push(`timeout: ${done}/${ids.length} ran within ${timeoutS} s`);
        break;
      }
      await sleep(100);
      done = (await stats(service)).noopDone;
    }
    m["allRanS"] = (performance.now() - t0) / 1000;
    // Confirm through the server: attach to the last 500 and a spread of 500 others.
    const sample = [...ids.slice(-500), ...ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / 500)) === 0).slice(0, 500)];
    const att = await attachAll(server, sample);
    m["confirmedS"] = (performance.now() - t0) / 1000;
    if (att.ok !== sample.length) {
      errors.counts["attach"] = sample.length - att.ok;
      errors.samples.push(...att.errors.samples);
    }
    m["throughput"] = ids.length / ((performance.now() - t0) / 1000);
    m["serverCpuPer1000"] = ((cpuSeconds(server.pid) ?? NaN) - cpu0) / ids.length * 1000;
    m["peakRssMb"] = sampler.takeMax();
    m["vmHwmMb"] = memory(server.pid)?.hwmMb ?? NaN;
    sampler.stop();
    await sleep(2000);
    const size1 = dirSize(dataDir);
    m["dataDirMb"] = size1.diskMb;
    m["bytesPerCompleted"] = ((size1.diskMb - size0.diskMb) * 1048576) / ids.length;
    m["apparentBytesPerCompleted"] = ((size1.apparentMb - size0.apparentMb) * 1048576) / ids.length;
    m["shutdownMs"] = await server.stop();
    const probe = ids[Math.floor(ids.length / 2)];

    // Restart on the folder that now holds `count` completed invocations.
    server = await startServer(kind, { dataDir, logFile });
    m["startupCompletedAdminMs"] = server.startup.adminMs;
    m["startupCompletedIngressMs"] = server.startup.ingressMs;
    await sleep(1000);
    m["idleRssAfterRestartMb"] = memory(server.pid)?.rssMb ?? NaN;
    if (probe !== undefined) {
      const r = await getStatus(server.ingressUrl, `/restate/invocation/${probe}/output`);
      notes.push(`after restart, output of a completed invocation: ${r.status} ${r.body.slice(0, 100)}`);
    }
  } finally {
    await server.stop();
  }
  m["errors"] = errorCount(errors);
  return { metrics: m, errors, notes };
}

/**
 * Sends `count` × /send Retained/noop (journal retention 5 s), waits until they completed, then polls
 * until their outputs are gone and reports the data folder before and after.
 */
export async function runRetention(
  kind: ServerKind,
  service: ServiceProcess,
  count: number,
  dataDir: string,
  logFile: string,
  waitS: number,
  env: Record<string, string>,
): Promise<ScaleOutcome> {
  const errors = newErrors();
  const notes: string[] = [];
  const m: Metrics = {};
  const server = await startServer(kind, { dataDir, logFile, env });
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
