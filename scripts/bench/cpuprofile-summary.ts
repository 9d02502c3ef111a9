// Summarizes a V8 .cpuprofile (node --cpu-prof): top functions by self time, top functions by total
// (inclusive) time, time per stet file / dependency package, and the heaviest call paths as a pruned tree.
//
//   node dist/scripts/bench/cpuprofile-summary.js FILE.cpuprofile [--top 15] [--min-pct 2] [--depth 40]
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Shortens a script URL to a repo-relative path, `pkg:<name>/…` or `node:…`. */
export function shortUrl(url: string): string {
  if (url === "") return "";
  let u = url.replace(/^file:\/\//, "");
  const nm = u.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = u.slice(nm + "/node_modules/".length).split("/");
    const pkg = rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
    return `${pkg}:${rest.slice(pkg.includes("/") ? 2 : 1).join("/")}`;
  }
  // stet's compiled code: …/dist/<path>.js or a bench snapshot …/<stamp>-dist/<path>.js → <path>.ts
  const dist = /(?:^|\/)(?:dist|[^/]*-dist)\/(.*)\.js$/.exec(u);
  if (dist !== null) return `${dist[1]}.ts`;
  if (u.startsWith("node:")) return u;
  u = u.replace(/^.*\/work\/main\//, "");
  return u;
}

/** Where a frame's time is charged in the grouped view. */
function group(cf: CallFrame): string {
  const s = shortUrl(cf.url);
  if (s === "") return cf.functionName.startsWith("(") ? cf.functionName : "(native/V8 builtins)";
  if (s.startsWith("node:")) return "node: internals";
  const colon = s.indexOf(":");
  if (colon > 0 && !s.startsWith("node:")) return `dep ${s.slice(0, colon)}`;
  return `stet ${s}`;
}

const maps = new Map<string, SourceMap | null>();
/** The .js.map next to a compiled stet file (tsc's sourceMap output), if it is still there. */
function mapFor(url: string): SourceMap | null {
  if (!url.startsWith("file://") || url.includes("/node_modules/")) return null;
  const cached = maps.get(url);
  if (cached !== undefined) return cached;
  let map: SourceMap | null = null;
  const file = url.replace(/^file:\/\//, "");
  if (existsSync(`${file}.map`)) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")) as ConstructorParameters<typeof SourceMap>[0]);
    } catch {
      map = null;
    }
  }
  maps.set(url, map);
  return map;
}

/** `function  file:line`, with stet's compiled positions mapped back to the TypeScript source when possible. */
function key(cf: CallFrame): string {
  const name = cf.functionName === "" ? "(anonymous)" : cf.functionName;
  const s = shortUrl(cf.url);
  if (s === "") return name;
  const map = mapFor(cf.url);
  if (map !== null) {
    const e = map.findEntry(cf.lineNumber, cf.columnNumber) as { originalSource?: string; originalLine?: number };
    if (e.originalSource !== undefined && e.originalLine !== undefined) {
      return `${name}  ${s}:${e.originalLine + 1}`;
    }
  }
  return `${name}  ${s}:${cf.lineNumber + 1}${s.endsWith(".ts") && cf.url.startsWith("file://") ? " (js line)" : ""}`;
}

export function summarize(profile: Profile, opts: { top: number; minPct: number; depth: number }): string {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  // Self time per node (µs): each sample is charged the delta to the next sample.
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0) {
    for (let i = 0; i < samples.length; i++) {
      const d = deltas[i + 1] ?? 0;
      self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + Math.max(0, d));
    }
  } else {
    const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0));
    for (const n of profile.nodes) self.set(n.id, (n.hitCount ?? 0) * interval);
  }
  const isIdle = (n: ProfileNode) => n.callFrame.functionName === "(idle)";
  let busy = 0;
  let idle = 0;
  for (const n of profile.nodes) {
    const t = self.get(n.id) ?? 0;
    if (isIdle(n)) idle += t;
    else busy += t;
  }
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;

  // Total (inclusive) per node.
  const total = new Map<number, number>();
  const totalOf = (id: number): number => {
    const cached = total.get(id);
    if (cached !== undefined) return cached;
    // iterative post-order to avoid deep recursion
    const stack: [number, boolean][] = [[id, false]];
    while (stack.length > 0) {
      const [cur, expanded] = stack.pop()!;
      if (total.has(cur)) continue;
      const node = byId.get(cur)!;
      if (!expanded) {
        stack.push([cur, true]);
        for (const c of node.children ?? []) if (!total.has(c)) stack.push([c, false]);
      } else {
        let t = self.get(cur) ?? 0;
        for (const c of node.children ?? []) t += total.get(c) ?? 0;
        total.set(cur, t);
      }
    }
    return total.get(id)!;
  };
  const root = profile.nodes[0]!;
  totalOf(root.id);

  // Self time by function.
  const selfByFn = new Map<string, number>();
  for (const n of profile.nodes) {
    if (isIdle(n)) continue;
    const k = key(n.callFrame);
    selfByFn.set(k, (selfByFn.get(k) ?? 0) + (self.get(n.id) ?? 0));
  }
  // Inclusive time by function, each sample charged once per distinct function on its stack.
  const inclByFn = new Map<string, number>();
  const keysOnPath = new Map<number, string[]>();
  const pathKeys = (id: number): string[] => {
    const hit = keysOnPath.get(id);
    if (hit !== undefined) return hit;
    const chain: number[] = [];
    let cur: number | undefined = id;
    while (cur !== undefined && !keysOnPath.has(cur)) {
      chain.push(cur);
      cur = parent.get(cur);
    }
    let acc: string[] = cur === undefined ? [] : keysOnPath.get(cur)!;
    for (let i = chain.length - 1; i >= 0; i--) {
      const k = key(byId.get(chain[i]!)!.callFrame);
      acc = acc.includes(k) ? acc : [...acc, k];
      keysOnPath.set(chain[i]!, acc);
    }
    return keysOnPath.get(id)!;
  };
  for (const n of profile.nodes) {
    const t = self.get(n.id) ?? 0;
    if (t === 0 || isIdle(n)) continue;
    for (const k of pathKeys(n.id)) if (k !== "(root)") inclByFn.set(k, (inclByFn.get(k) ?? 0) + t);
  }
  // Self time by group (stet file, dependency package, node internals, GC …).
  const byGroup = new Map<string, number>();
  for (const n of profile.nodes) {
    if (isIdle(n)) continue;
    const g = group(n.callFrame);
    byGroup.set(g, (byGroup.get(g) ?? 0) + (self.get(n.id) ?? 0));
  }

  const out: string[] = [];
  out.push(
    `profile: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s wall, ${(busy / 1e6).toFixed(2)} s on CPU (main thread), ${(idle / 1e6).toFixed(1)} s idle; percentages are of on-CPU time`,
  );
  const table = (title: string, m: Map<string, number>, n: number) => {
    out.push("", title);
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) out.push(`  ${pct(v)} ${ms(v)}  ${k}`);
  };
  table(`top ${opts.top} functions by self time`, selfByFn, opts.top);
  table(`top ${opts.top} functions by total (inclusive) time`, new Map([...inclByFn].filter(([k]) => !k.startsWith("("))), opts.top);
  table("self time by stet file / dependency / runtime", byGroup, 25);

  out.push("", `call tree, nodes with ≥ ${opts.minPct}% total time (total / self)`);
  const walk = (id: number, depth: number) => {
    const n = byId.get(id)!;
    const t = total.get(id) ?? 0;
    if (isIdle(n) || (t / busy) * 100 < opts.minPct || depth > opts.depth) return;
    out.push(`${"  ".repeat(depth)}${pct(t)} / ${pct(self.get(id) ?? 0).trim()}  ${key(n.callFrame)}`);
    const kids = [...(n.children ?? [])].sort((a, b) => (total.get(b) ?? 0) - (total.get(a) ?? 0));
    for (const c of kids) walk(c, depth + 1);
  };
  for (const c of [...(root.children ?? [])].sort((a, b) => (total.get(b) ?? 0) - (total.get(a) ?? 0))) walk(c, 0);
  return out.join("\n");
}

function main(): void {
  const argv = process.argv.slice(2);
  const file = argv.find((a) => !a.startsWith("--") && !/^\d+(\.\d+)?$/.test(a));
  if (file === undefined) {
    process.stderr.write("usage: node dist/scripts/bench/cpuprofile-summary.js FILE.cpuprofile [--top 15] [--min-pct 2] [--depth 40]\n");
    process.exit(2);
  }
  const num = (name: string, d: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : d;
  };
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  process.stdout.write(summarize(profile, { top: num("--top", 15), minPct: num("--min-pct", 2), depth: num("--depth", 40) }) + "\n");
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ""))) main();
