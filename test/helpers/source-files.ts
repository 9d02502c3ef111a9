import { readdirSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./processes.js";

/** Repo-relative paths (with `/`) of the files under `folder` whose names end with one of `extensions`. */
export function sourceFilesUnder(folder: string, extensions: readonly string[] = [".ts"]): string[] {
  return readdirSync(path.join(repoRoot, folder), { recursive: true, encoding: "utf8" })
    .map((f) => f.split(path.sep).join("/"))
    .filter((f) => !f.split("/").includes("node_modules") && extensions.some((e) => f.endsWith(e)) && !f.endsWith(".d.ts"))
    .map((f) => path.posix.join(folder, f));
}
