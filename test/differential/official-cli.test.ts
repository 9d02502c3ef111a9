import * as restate from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, it } from "vitest";
import { normaliseCliText, runRestateCli, type CliResult, type Editor } from "../helpers/restate-cli.js";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { differential, type Target } from "./harness.js";
import { counter, greeter } from "./services.js";

// The official Restate CLI (`restate`, npm @restatedev/restate 1.7) run as a process against stet and
// against restate-server 1.7 with the same official-SDK services: every command must exit as it does
// against restate-server (0 unless said otherwise) and print the same, once instants, durations, ids,
// URLs and column widths are masked (normaliseCliText, then the harness's normalize).

// Edited by `services config edit` only, so that no other test sees its changed settings.
const configurable = restate.service({
  name: "CliConfigurable",
  handlers: { ping: async (_ctx: restate.Context): Promise<string> => "pong" },
});

const diff = differential([greeter, counter, configurable]);

// A second endpoint, registered by the CLI itself.
const extra = restate.service({
  name: "CliExtra",
  handlers: {
    hi: async (_ctx: restate.Context): Promise<string> => "hi",
    ho: async (_ctx: restate.Context): Promise<string> => "ho",
  },
});
let extraEndpoint: TestEndpoint | undefined;
beforeAll(async () => {
  extraEndpoint = await startEndpoint([extra]);
});
afterAll(async () => {
  await extraEndpoint?.close();
});

interface CliStep {
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
 * records its normalised output as the step `step`.
 */
async function cli(t: Target, step: string, args: string[], options: CliStep = {}): Promise<CliResult> {
  const result = await runRestateCli(args, { adminUrl: t.adminUrl, ingressUrl: t.ingressUrl, editor: options.editor });
  const expected = options.exitCode ?? 0;
  if (result.code !== expected) {
    throw new Error(`${t.name}: restate ${args.join(" ")} exited with ${result.code}, not ${expected}:\n${result.stdout}\n${result.stderr}`);
  }
  const lines = (text: string) => {
    const all = normaliseCliText(text);
    // A deployment's first service sits on the deployment's own table row: split it off before sorting.
    return options.unordered === true ? all.flatMap((l) => l.split(/ (?=- \w+ \[\d+\]$)/)).sort() : all;
  };
  t.note(step, { args, code: result.code, stdout: lines(result.stdout), stderr: lines(result.stderr) });
  return result;
}

/** The id of the deployment that serves `service` (its latest revision). */
async function deploymentOf(t: Target, service: string): Promise<string> {
  const res = await fetch(`${t.adminUrl}/services/${service}`);
  if (res.status !== 200) throw new Error(`${t.name}: GET /services/${service} answered ${res.status}`);
  return ((await res.json()) as { deployment_id: string }).deployment_id;
}

describe("environment", () => {
  it("whoami: the CLI's environment and the server's health and advertised ingress", () =>
    diff.compare(async (t) => {
      await cli(t, "whoami", ["whoami"]);
    }));
});

describe("deployments", () => {
  it("list and describe the registered deployment", () =>
    diff.compare(async (t) => {
      await cli(t, "deployments list", ["deployments", "list"], { unordered: true });
      const id = await deploymentOf(t, "DiffGreeter");
      await cli(t, "deployments describe", ["deployments", "describe", id], { unordered: true });
    }));

  it("register a new endpoint, again (no changes), and again with --force", () =>
    diff.compare(async (t) => {
      const uri = extraEndpoint!.url;
      await cli(t, "register", ["deployments", "register", uri, "--yes"], { unordered: true });
      await cli(t, "register again", ["deployments", "register", uri, "--yes"], { unordered: true });
      await cli(t, "register --force", ["deployments", "register", uri, "--yes", "--force"], { unordered: true });
      await cli(t, "services list", ["services", "list"], { unordered: true });
    }));
});

describe("services", () => {
  it("list, describe and view the configuration", () =>
    diff.compare(async (t) => {
      await cli(t, "services list", ["services", "list"], { unordered: true });
      await cli(t, "describe a service", ["services", "describe", "DiffGreeter"], { unordered: true });
      await cli(t, "describe an object", ["services", "describe", "DiffCounter"], { unordered: true });
      await cli(t, "config view", ["services", "config", "view", "DiffCounter"]);
    }));

  it("config edit: the editor's settings are applied, and config view shows them", () =>
    diff.compare(async (t) => {
      const editor = { append: 'public = false\ninactivity_timeout = "2m"\nidempotency_retention = "3h"\n' };
      await cli(t, "config edit", ["services", "config", "edit", "CliConfigurable", "--yes"], { editor });
      await cli(t, "config view", ["services", "config", "view", "CliConfigurable"]);
      await t.call("/CliConfigurable/ping", undefined, { label: "call the now private service" });
    }));
});
