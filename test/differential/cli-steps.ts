import { normaliseCliText, runRestateCli, type CliResult, type Editor } from "../helpers/restate-cli.js";
import { invocationStatus, pollUntil, type Target } from "./harness.js";

/** Steps of differential scenarios that run the official Restate CLI (see official-cli.test.ts). */

export interface CliStep {
  readonly editor?: Editor;
  /** The exit code both servers must give (default 0). */
  readonly exitCode?: number;
  /**
   * Compare the lines as a sorted list: restate-server lists services and handlers in hash-map order,
   * which differs between runs.
   */
  readonly unordered?: boolean;
}

/**
 * Runs `restate <args>` against the target, fails the scenario if it exits otherwise than expected, and
 * records its normalised output as the step `step` (the harness then masks ids, URLs and instants).
 */
export async function cli(t: Target, step: string, args: string[], options: CliStep = {}): Promise<CliResult> {
  const result = await runRestateCli(args, { adminUrl: t.adminUrl, ingressUrl: t.ingressUrl, editor: options.editor });
  const expected = options.exitCode ?? 0;
  if (result.code !== expected) {
    throw new Error(`${t.name}: restate ${args.join(" ")} exited with ${result.code}, not ${expected}:\n${result.stdout}\n${result.stderr}`);
  }
  const lines = (text: string) => (options.unordered === true ? unorderedLines(text) : normaliseCliText(text));
  t.note(step, { args, code: result.code, stdout: lines(result.stdout), stderr: lines(result.stderr) });
  return result;
}

function unorderedLines(text: string): string[] {
  // The items of a list on one line (`kv clear`'s "[note, count]") are in hash-map order too.
  const sortItems = (l: string) => l.replace(/\[([^\]]*, [^\]]*)\]/g, (_, items: string) => `[${items.split(", ").sort().join(", ")}]`);
  // `deployments list` prints a deployment's first service on the deployment's own row: split it off.
  return normaliseCliText(text)
    .flatMap((l) => l.split(/ (?=- \w+ \[\d+\]$)/))
    .map(sortItems)
    .sort();
}

/** The id of the deployment that serves `service` (its latest revision). */
export async function deploymentOf(t: Target, service: string): Promise<string> {
  const res = await fetch(`${t.adminUrl}/services/${service}`);
  if (res.status !== 200) throw new Error(`${t.name}: GET /services/${service} answered ${res.status}`);
  return ((await res.json()) as { deployment_id: string }).deployment_id;
}

/** Waits (unrecorded) until the server reports the invocation in `wanted` (pause and resume apply asynchronously). */
export async function untilStatus(t: Target, id: string, wanted: string): Promise<void> {
  await pollUntil(async () => ((await invocationStatus(t, id)) === wanted ? true : undefined), `${t.name}: ${id} ${wanted}`);
}

/**
 * Headers with an idempotency key for an ingress call. Without one, restate-server 1.7.12 gives every
 * ingress invocation a generated key (a ULID, which the CLI prints as "Idempotency key: 01M8…") and stet
 * none; with one, both print it.
 */
export function keyed(t: Target, name: string): { headers: Record<string, string> } {
  return { headers: { "idempotency-key": `${name}-${t.tag}` } };
}
