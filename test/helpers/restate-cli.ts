import { spawn } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import path from "node:path";
import { repoRoot } from "./processes.js";
import { tempDir } from "./temp-dir.js";

/**
 * Runs the official Restate CLI (`restate`, npm `@restatedev/restate`) as a real process against a
 * server's admin and ingress URLs, isolated from the user's CLI config, and normalises what it prints.
 */

/** The native binary of `@restatedev/restate` (spawned directly: the npm wrapper adds a Node process). */
export function restateCliBinary(): string {
  const require = createRequire(path.join(repoRoot, "package.json"));
  return require.resolve(`@restatedev/restate-${platform()}-${arch()}/bin/restate`);
}

/** What `restate config edit` / `services config edit` / `kv edit` find after the editor ran. */
export type Editor =
  | { readonly append: string } // e.g. TOML lines below the commented template of `services config edit`
  | { readonly replaceWith: string }; // e.g. the whole JSON of `kv edit`

export interface CliOptions {
  readonly adminUrl: string;
  readonly ingressUrl: string;
  readonly editor?: Editor;
  /** Kills the CLI after this long (a safety net, not an assertion); default 30 s. */
  readonly killAfterMs?: number;
}

export interface CliResult {
  /** Exit code, or the signal's name. */
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `restate <args>` with its own HOME and working folder (no config file, environment file or
 * `.env` of the machine is read), no colours, and the servers given by RESTATE_ADMIN_URL and
 * RESTATE_INGRESS_URL.
 */
export async function runRestateCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const dir = tempDir("restate-cli-");
  try {
    // Whatever RESTATE_* the test process has (RESTATE_LOGGING for the SDK, a developer's
    // RESTATE_ENVIRONMENT) must not steer the CLI.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("RESTATE_") && v !== undefined) env[k] = v;
    Object.assign(env, {
      HOME: dir.path,
      RESTATE_CLI_CONFIG_HOME: path.join(dir.path, "config"),
      RESTATE_ADMIN_URL: options.adminUrl,
      RESTATE_INGRESS_URL: options.ingressUrl,
      NO_COLOR: "1",
    });
    if (options.editor !== undefined) env["RESTATE_EDITOR"] = writeEditor(dir.path, options.editor);
    const result = await run(restateCliBinary(), args, { cwd: dir.path, env, killAfterMs: options.killAfterMs ?? 30_000 });
    // `whoami` prints the config paths, which lie in this run's folder.
    const unhome = (s: string) => s.replaceAll(dir.path, "<cli-home>");
    return { code: result.code, stdout: unhome(result.stdout), stderr: unhome(result.stderr) };
  } finally {
    dir.remove();
  }
}

/** A shell script the CLI runs as its editor (with the file to edit as `$1`). */
function writeEditor(dir: string, editor: Editor): string {
  const content = path.join(dir, "editor-content");
  writeFileSync(content, "append" in editor ? editor.append : editor.replaceWith);
  const script = path.join(dir, "editor.sh");
  writeFileSync(script, `#!/bin/sh\ncat '${content}' ${"append" in editor ? ">>" : ">"} "$1"\n`);
  chmodSync(script, 0o755);
  return script;
}

function run(bin: string, args: readonly string[], o: { cwd: string; env: Record<string, string>; killAfterMs: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: o.cwd, env: o.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), o.killAfterMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? "unknown", stdout, stderr });
    });
  });
}

// The CLI's own renderings of instants and durations (ids, ISO timestamps and URLs are left to the caller).
// `--time-format human`: "Wed 02 Dec 2026 06:19:58 +00:00" (deployments) and "2026-12-02 06:20:44.919 +00:00".
const HUMAN_DATE = /\b[A-Z][a-z]{2} \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{2}:\d{2}/g;
const SPACED_TIMESTAMP = /\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [+-]\d{2}:\d{2}/g;
// "1 second and 117 ms", "2 minutes", "now" (as in "(invoked now ago)"), ISO "PT6.615768628S".
const UNIT = "(?:ms|seconds?|minutes?|hours?|days?|weeks?|months?|years?)";
const HUMAN_DURATION = new RegExp(`\\b\\d+ ${UNIT}(?:(?:,? and |, | )\\d+ ${UNIT})*\\b|\\bnow\\b(?= ago)|\\bP(?:\\d+D)?T[\\d.]+S\\b`, "g");
const QUERY_TOOK = /Query took [\d.]+(?:ns|µs|ms|s)/g;
// eslint-disable-next-line no-control-regex -- ANSI escapes are what is stripped here
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * The lines of `text` with what differs from run to run masked: colours, instants, durations, the
 * time a query took, and the widths of columns and rules (they follow the widest cell, and ids and
 * ports differ in length), so runs of spaces become one and trailing spaces and blank lines go.
 */
export function normaliseCliText(text: string): string[] {
  const lines = text
    .replace(ANSI, "")
    .replace(HUMAN_DATE, "<time>")
    .replace(SPACED_TIMESTAMP, "<time>")
    .replace(QUERY_TOOK, "Query took <duration>")
    .replace(HUMAN_DURATION, "<duration>")
    .split("\n")
    .map((line) => line.replace(/([―─])\1+/g, "$1").replace(/ {2,}/g, " ").trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}
