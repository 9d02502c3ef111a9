import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../helpers/processes.js";
import { sourceFilesUnder } from "../../helpers/source-files.js";

/**
 * No two modules of the engine's lower folders import each other, directly or around a circle: a
 * circle makes the load order decide which module sees the other half-initialised, and it usually means
 * a shared declaration has no home of its own (partition/apply/declarations.ts is where the apply
 * step's went). Type-only imports count too: they are circles for the reader, if not for the runtime.
 */
const FOLDERS = ["partition", "invoker", "protocol", "sqlite", "postgres", "query-sql"];

/**
 * Circles known and not yet broken, each as the sorted set of files that import one another. The test
 * fails when one grows, when another appears, and when one listed here is gone (then remove it here).
 * None today.
 */
const KNOWN: readonly (readonly string[])[] = [];

type Graph = ReadonlyMap<string, readonly string[]>;

// import x from, import { a } from, import * as m from, import x, { a } from, import type …, export … from,
// and bare `import "…"`; anchored at a line's start so that examples in comments do not count.
const FROM = /^\s*(?:import|export)\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\}|\w+(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+\w+))?)\s+from\s*["']([^"']+)["']/gm;
const BARE = /^\s*import\s*["']([^"']+)["']/gm;

/** The relative module specifiers `source` imports or re-exports from. */
function relativeImports(source: string): string[] {
  const specifiers = [...source.matchAll(FROM), ...source.matchAll(BARE)].map((m) => m[1]!);
  return specifiers.filter((s) => s.startsWith("./") || s.startsWith("../"));
}

/** Files (repo-relative) to the files among them they import; imports of other files are left out. */
function importGraph(folders: readonly string[]): Graph {
  const files = folders.flatMap((f) => sourceFilesUnder(f)).sort();
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = relativeImports(readFileSync(path.join(repoRoot, file), "utf8"))
      .map((s) => path.posix.join(path.posix.dirname(file), s.replace(/\.js$/, ".ts")))
      .filter((t) => known.has(t));
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** A shortest path of imports from `from` back to itself, or undefined when there is none. */
function shortestCycle(graph: Graph, from: string): string[] | undefined {
  const parent = new Map<string, string>();
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const next of graph.get(node) ?? []) {
      if (parent.has(next)) continue;
      parent.set(next, node);
      if (next === from) {
        const circle = [from];
        for (let at = node; at !== from; at = parent.get(at)!) circle.unshift(at);
        return [from, ...circle];
      }
      queue.push(next);
    }
  }
  return undefined;
}

function reachableFrom(graph: Graph, from: string): Set<string> {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    for (const next of graph.get(stack.pop()!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

/** The groups of files that import one another (around a circle), each sorted, with one circle of each. */
function importCircles(graph: Graph): { files: string[]; circle: string[] }[] {
  const reach = new Map([...graph.keys()].map((file) => [file, reachableFrom(graph, file)]));
  const grouped = new Set<string>();
  const circles: { files: string[]; circle: string[] }[] = [];
  for (const file of [...graph.keys()].sort()) {
    if (grouped.has(file) || !reach.get(file)!.has(file)) continue;
    const files = [...reach.get(file)!].filter((other) => reach.get(other)!.has(file)).sort();
    files.forEach((f) => grouped.add(f));
    circles.push({ files, circle: shortestCycle(graph, file)! });
  }
  return circles;
}

describe("import circles", () => {
  it(`none among the files under ${FOLDERS.join("/, ")}/ beyond the known ones`, () => {
    const graph = importGraph(FOLDERS);
    expect(graph.size).toBeGreaterThan(50);
    const found = importCircles(graph);
    const key = (files: readonly string[]) => files.join(" ");
    const knownKeys = new Set(KNOWN.map(key));
    const foundKeys = new Set(found.map((c) => key(c.files)));
    const problems: string[] = [];
    for (const { files, circle } of found) {
      if (knownKeys.has(key(files))) continue;
      const more = files.length > circle.length - 1 ? ` (all the files around it: ${files.join(", ")})` : "";
      problems.push(`import circle: ${circle.join(" → ")}${more}`);
    }
    for (const files of KNOWN) if (!foundKeys.has(key(files))) problems.push(`no longer a circle, remove it from KNOWN: ${files.join(", ")}`);
    expect(problems).toEqual([]);
  });

  it("reads every form of a relative import and nothing in comments", () => {
    const source = [
      'import a from "./a.js";',
      'import { b1,\n  b2 } from "../b.js";',
      'import * as c from "./c.js";',
      'import d, { d1 } from "./d.js";',
      'import type { E } from "./e.js";',
      'export { f } from "./f.js";',
      'export * from "./g.js";',
      'export type { H } from "./h.js";',
      'import "./i.js";',
      'import { fromBinary } from "@bufbuild/protobuf";',
      '// import x from "./commented.js";',
      ' * import y from "./documented.js";',
      'const s = "import z from \'./string.js\'";',
    ].join("\n");
    expect(relativeImports(source).sort()).toEqual(["../b.js", "./a.js", "./c.js", "./d.js", "./e.js", "./f.js", "./g.js", "./h.js", "./i.js"]);
  });

  it("finds a circle and prints it from its first file", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts", "d.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", []],
      ["e.ts", ["e.ts"]],
    ]);
    expect(importCircles(graph)).toEqual([
      { files: ["a.ts", "b.ts", "c.ts"], circle: ["a.ts", "b.ts", "c.ts", "a.ts"] },
      { files: ["e.ts"], circle: ["e.ts", "e.ts"] },
    ]);
    expect(importCircles(new Map([["a.ts", ["b.ts"]], ["b.ts", []]]))).toEqual([]);
  });
});
