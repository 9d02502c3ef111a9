// --ab REF: stet at another commit (A, before) measured beside the working tree's build (B, after) in the
// same run. REF is checked out into a temporary git worktree, built there with `npm run build` (a link to
// the repository's node_modules), and its dist/ copied to a snapshot of its own; the worktree is removed
// as soon as the copy is made, so a run interrupted later leaves none behind.
import { spawn, execFileSync } from "node:child_process";
import { closeSync, copyFileSync, cpSync, mkdtempSync, openSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { repoRoot, sleep, tail, type ServerKind } from "./servers.js";

/** A server the run measures: its column in the report, what it is and, for stet at REF, its bin. */
export interface Contender {
  readonly name: string;
  readonly kind: ServerKind;
  readonly bin?: string;
  /** stet-pg: the node keeps its partitions in PostgreSQL (`--store`, a fresh database per round). */
  readonly store?: "postgres";
  /** stet-pg3: this many nodes share that database (cluster.ts); one when absent. */
  readonly nodes?: number;
}

/** One ratio column of the report: the medians of two servers (by name), numerator ÷ denominator. */
export interface Ratio {
  readonly numerator: string;
  readonly denominator: string;
  readonly header: string;
}

/** The report's columns (server names, with their headers) and the ratios between them. */
export interface Comparison {
  readonly columns: readonly { readonly name: string; readonly header: string }[];
  readonly ratios: readonly Ratio[];
}

/** The column of stet built at REF. */
export function abName(ref: string): string {
  return `stet@${ref}`;
}

/** The column of stet on PostgreSQL (`--store postgres`). */
export const STET_PG = "stet-pg";
/** The column of three stet nodes sharing one PostgreSQL database (`--store postgres`). */
export const STET_PG3 = "stet-pg3";

/**
 * stet ÷ restate; with --ab, A (stet at REF) and B (this tree's stet), B ÷ A. With `--store postgres`
 * (`servers` holds stet-pg or stet-pg3): a column per server that runs, in the order stet, stet-pg,
 * stet-pg3, restate, each stet compared to restate, stet-pg to stet and stet-pg3 to stet-pg (the ratios
 * whose two servers both run).
 */
export function comparison(abRef: string | undefined, servers: readonly string[] = ["stet", "restate"]): Comparison {
  if (abRef !== undefined) {
    const a = abName(abRef);
    return { columns: [{ name: a, header: `A: ${a}` }, { name: "stet", header: "B: stet" }], ratios: [{ numerator: "stet", denominator: a, header: "B ÷ A" }] };
  }
  const ratio = (numerator: string, denominator: string): Ratio => ({ numerator, denominator, header: `${numerator} ÷ ${denominator}` });
  if (!servers.includes(STET_PG) && !servers.includes(STET_PG3)) {
    return { columns: [{ name: "stet", header: "stet" }, { name: "restate", header: "restate" }], ratios: [ratio("stet", "restate")] };
  }
  const names = ["stet", STET_PG, STET_PG3, "restate"].filter((n) => servers.includes(n));
  const pairs: [string, string][] = [
    ["stet", "restate"],
    [STET_PG, "restate"],
    [STET_PG3, "restate"],
    [STET_PG, "stet"],
    [STET_PG3, STET_PG],
  ];
  return {
    columns: names.map((name) => ({ name, header: name })),
    ratios: pairs.filter(([n, d]) => names.includes(n) && names.includes(d)).map(([n, d]) => ratio(n, d)),
  };
}

/** A ratio of a row's medians by server name (NaN when either is missing or the denominator is 0). */
export function ratioOf(r: Ratio, values: Readonly<Record<string, number>>): number {
  const n = values[r.numerator] ?? NaN;
  const d = values[r.denominator] ?? NaN;
  return Number.isFinite(n) && Number.isFinite(d) && d !== 0 ? n / d : NaN;
}

/** A server's name as part of a file name (a ref may hold `/` or `~`). */
export function fileSafe(name: string): string {
  return name.replace(/[^\w.@-]/g, "_");
}

/** The short commit REF names; throws when it names none. */
export function resolveRef(ref: string): string {
  try {
    return execFileSync("git", ["-C", repoRoot, "rev-parse", "--verify", "--quiet", "--short", `${ref}^{commit}`], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    throw new Error(`--ab: '${ref}' names no commit of ${repoRoot}`);
  }
}

/**
 * Builds `commit` into `snapshot` (its dist/, its package.json, through which stet finds its dist/
 * files, and a link to node_modules) and returns the snapshot's bin. The build's output goes to
 * `logFile`. Ctrl-C (or SIGTERM) during the build stops it and still removes the worktree.
 */
export async function buildAb(commit: string, snapshot: string, logFile: string): Promise<string> {
  const nodeModules = realpathSync(path.join(repoRoot, "node_modules"));
  const tree = mkdtempSync(path.join(tmpdir(), "stet-bench-ab-"));
  const git = (...args: string[]): void => void execFileSync("git", ["-C", repoRoot, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let interrupted = false;
  /** The build's process group (npm, tsc, vite, esbuild: it runs in a group of its own), once started. */
  let group: number | undefined;
  const signal = (sig: NodeJS.Signals | 0): boolean => {
    try {
      return group !== undefined && process.kill(-group, sig);
    } catch {
      return false; // the group is gone
    }
  };
  const onSignal = (): void => {
    interrupted = true;
    signal("SIGINT");
  };
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
  try {
    git("worktree", "add", "--detach", tree, commit);
    symlinkSync(nodeModules, path.join(tree, "node_modules"));
    const fd = openSync(logFile, "a");
    const child = spawn("npm", ["run", "build"], { cwd: tree, stdio: ["ignore", fd, fd], detached: true });
    closeSync(fd);
    group = child.pid;
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (c) => resolve(c));
    });
    if (interrupted) throw new Error(`--ab: interrupted while building ${commit}`);
    if (code !== 0) throw new Error(`--ab: npm run build of ${commit} failed (exit ${code}); ${logFile}:\n${tail(logFile)}`);
    cpSync(path.join(tree, "dist"), path.join(snapshot, "dist"), { recursive: true });
    copyFileSync(path.join(tree, "package.json"), path.join(snapshot, "package.json"));
    symlinkSync(nodeModules, path.join(snapshot, "node_modules"));
    return path.join(snapshot, "dist", "stet.cjs");
  } finally {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
    // npm may exit on Ctrl-C before tsc or vite does, and they would write into the folder after it went.
    for (let i = 0; i < 100 && signal(0); i++) {
      if (i === 50) signal("SIGKILL");
      await sleep(100);
    }
    try {
      git("worktree", "remove", "--force", tree);
    } catch {
      rmSync(tree, { recursive: true, force: true });
      git("worktree", "prune");
    }
  }
}
