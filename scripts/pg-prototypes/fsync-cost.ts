// What one durable commit costs on this disk, apart from any database: 8 KB appended and fdatasync'd,
// in a loop. Wall time per fsync is the floor of a commit's latency; CPU per fsync (mostly kernel time)
// is what every commit costs the machine however small the batch.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { load1, median, nodeCpuSeconds, round } from "./measure.js";

const COUNT = Number(process.argv[2] ?? 500);
const dir = mkdtempSync(join(tmpdir(), "stet-fsync-"));
const fd = openSync(join(dir, "wal"), "w");
const page = Buffer.alloc(8192, 7);
const waits: number[] = [];
const cpu0 = nodeCpuSeconds();
const t0 = performance.now();
for (let i = 0; i < COUNT; i++) {
  writeSync(fd, page);
  const s = performance.now();
  fdatasyncSync(fd);
  waits.push(performance.now() - s);
}
const wall = performance.now() - t0;
const cpu = nodeCpuSeconds() - cpu0;
closeSync(fd);
rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    fsyncs: COUNT,
    perSecond: round((COUNT * 1000) / wall, 0),
    p50Ms: round(median(waits)),
    p99Ms: round(waits.sort((a, b) => a - b)[Math.floor(COUNT * 0.99)]!),
    cpuMsPerFsync: round((cpu * 1000) / COUNT, 3),
    load1: load1(),
  }),
);
