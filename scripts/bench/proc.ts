// Process accounting from /proc (Linux): CPU seconds (utime + stime) and resident memory of one pid.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, lstatSync } from "node:fs";
import { join } from "node:path";

let clkTck: number | undefined;
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** What /proc/<pid>/stat says of a process's parent and CPU time, in seconds; undefined once it is gone. */
export interface ProcStat {
  readonly ppid: number;
  /** user + system time of the process itself. */
  readonly cpuSeconds: number;
  /** user + system time of its children that have exited and been waited for. */
  readonly reapedChildrenCpuSeconds: number;
}

export function procStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: fields after the last ')' are fixed.
  // rest[0] is field 3 (state): ppid is field 4, utime and stime fields 14 and 15, cutime and cstime 16 and 17.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = ticksPerSecond();
  return {
    ppid: Number(rest[1]),
    cpuSeconds: (Number(rest[11]) + Number(rest[12])) / ticks,
    reapedChildrenCpuSeconds: (Number(rest[13]) + Number(rest[14])) / ticks,
  };
}

/** CPU seconds (user + system) the process has used so far; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  return procStat(pid)?.cpuSeconds;
}

/** CPU seconds of several processes together (a cluster's nodes); NaN once any is gone. */
export function cpuSecondsOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? NaN), 0);
}

export interface Memory {
  /** Current resident set, MB. */
  readonly rssMb: number;
  /** Peak resident set since the process started (VmHWM), MB. */
  readonly hwmMb: number;
}

export function memory(pid: number): Memory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return m === null ? NaN : Number(m[1]);
  };
  return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
}

/** The memory of several processes summed (a cluster's nodes: their peaks summed bound the peak of the sum). */
export function memoryOf(pids: readonly number[]): Memory | undefined {
  const each = pids.map(memory);
  if (each.some((m) => m === undefined)) return undefined;
  return { rssMb: each.reduce((a, m) => a + m!.rssMb, 0), hwmMb: each.reduce((a, m) => a + m!.hwmMb, 0) };
}

/** The executable a pid runs (to check that we measure the real server, not a wrapper). */
export function exeOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).slice(0, 2).join(" ");
  } catch {
    return "?";
  }
}

/** Bytes under a folder: apparent (sum of file sizes) and allocated on disk (blocks × 512). */
export function dirSize(dir: string): { apparentMb: number; diskMb: number } {
  let apparent = 0;
  let disk = 0;
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        apparent += st.size;
        disk += st.blocks * 512;
      }
    }
  };
  walk(dir);
  return { apparentMb: apparent / 1048576, diskMb: disk / 1048576 };
}

/** Samples the RSS of a pid (or the sum over several: a cluster's nodes) on a timer and keeps the maximum (between resets). */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private max = 0;
  private readonly pids: readonly number[];
  constructor(
    pids: number | readonly number[],
    private readonly everyMs = 200,
  ) {
    this.pids = typeof pids === "number" ? [pids] : pids;
  }
  start(): this {
    this.timer = setInterval(() => this.sample(), this.everyMs);
    this.timer.unref();
    return this;
  }
  sample(): void {
    const m = memoryOf(this.pids);
    if (m !== undefined && m.rssMb > this.max) this.max = m.rssMb;
  }
  /** The maximum since the last reset, then resets. */
  takeMax(): number {
    this.sample();
    const m = this.max;
    this.max = 0;
    return m;
  }
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }
}

/** Busy and total jiffies of the whole machine (all CPUs), from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** Cores of CPU busy between two machineTicks() readings. */
export function busyCores(a: { busy: number; total: number }, b: { busy: number; total: number }, cores: number): number {
  const dt = b.total - a.total;
  return dt > 0 ? ((b.busy - a.busy) / dt) * cores : NaN;
}
