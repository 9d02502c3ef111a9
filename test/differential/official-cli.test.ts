import * as restate from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, it } from "vitest";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { cli, deploymentOf, keyed, untilStatus } from "./cli-steps.js";
import { differential, invocationStatus, pollUntil } from "./harness.js";
import { counter, greeter, startWaiting, waiter } from "./services.js";

// The official Restate CLI (`restate`, npm @restatedev/restate 1.7) run as a process against stet and
// against restate-server 1.7 with the same official-SDK services: every command must exit as it does
// against restate-server (0 unless said otherwise) and print the same, once instants, durations, ids,
// URLs and column widths are masked (normaliseCliText, then the harness's normalize).

// Edited by `services config edit` only, so that no other test sees its changed settings.
const configurable = restate.service({
  name: "CliConfigurable",
  handlers: { ping: async (_ctx: restate.Context): Promise<string> => "pong" },
});

const diff = differential([greeter, counter, waiter, configurable]);

// A second endpoint, registered by the CLI itself.
const extra = restate.service({
  name: "CliExtra",
  handlers: {
    hi: async (_ctx: restate.Context): Promise<string> => "hi",
    ho: async (_ctx: restate.Context): Promise<string> => "ho",
  },
});
// Two endpoints with the same service: registering the second drains the first.
const moving = restate.service({
  name: "CliMoving",
  handlers: { go: async (_ctx: restate.Context): Promise<string> => "gone" },
});
let extraEndpoint: TestEndpoint | undefined;
let movingEndpoints: TestEndpoint[] = [];
beforeAll(async () => {
  extraEndpoint = await startEndpoint([extra]);
  movingEndpoints = [await startEndpoint([moving]), await startEndpoint([moving])];
});
afterAll(async () => {
  await Promise.all([extraEndpoint, ...movingEndpoints].map((e) => e?.close()));
});

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
      // --extra counts each deployment's active invocations (an Arrow COUNT query).
      await cli(t, "deployments list --extra", ["deployments", "list", "--extra"], { unordered: true });
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

describe("deployments remove", () => {
  it("a drained deployment; an active one only with --force", () =>
    diff.compare(async (t) => {
      const [first, second] = movingEndpoints.map((e) => e.url);
      await cli(t, "register first", ["deployments", "register", first!, "--yes"], { unordered: true });
      const drained = await deploymentOf(t, "CliMoving");
      await cli(t, "register second", ["deployments", "register", second!, "--yes"], { unordered: true });
      const active = await deploymentOf(t, "CliMoving");
      await cli(t, "list both", ["deployments", "list"], { unordered: true });
      await cli(t, "describe the service (its older deployment counted)", ["services", "describe", "CliMoving"], { unordered: true });
      await cli(t, "describe the drained deployment", ["deployments", "describe", drained], { unordered: true });
      await cli(t, "remove the drained deployment", ["deployments", "remove", drained, "--yes"], { unordered: true });
      await cli(t, "remove the active deployment", ["deployments", "remove", active, "--yes"], { unordered: true, exitCode: 1 });
      await cli(t, "remove it with --force", ["deployments", "remove", active, "--yes", "--force"], { unordered: true });
      await t.admin("GET", "/services/CliMoving", undefined, { label: "the service is gone" });
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

describe("invocations", () => {
  it("cancel, then purge; pause, resume, then kill; kill by target; restart-as-new", () =>
    diff.compare(async (t) => {
      const cancelled = await startWaiting(t, `cancel-${t.tag}`, keyed(t, "cancel").headers);
      await cli(t, "cancel by id", ["invocations", "cancel", cancelled.invocationId, "--yes"]);
      await untilStatus(t, cancelled.invocationId, "completed");
      await cli(t, "purge", ["invocations", "purge", cancelled.invocationId, "--yes"]);
      await t.get(`/restate/invocation/${cancelled.invocationId}/output`, { label: "output after purge" });

      const paused = await startWaiting(t, `pause-${t.tag}`, keyed(t, "pause").headers);
      await cli(t, "pause", ["invocations", "pause", paused.invocationId, "--yes"]);
      await untilStatus(t, paused.invocationId, "paused");
      await cli(t, "resume", ["invocations", "resume", paused.invocationId, "--yes"]);
      await untilStatus(t, paused.invocationId, "running");
      await cli(t, "kill", ["invocations", "kill", paused.invocationId, "--yes"]);
      await t.get(`/restate/invocation/${paused.invocationId}/output`, { label: "output after kill" });

      const byTarget = await startWaiting(t, `target-${t.tag}`, keyed(t, "target").headers);
      await cli(t, "kill by target", ["invocations", "kill", "DiffWaiter/wait", "--yes"]);
      await t.get(`/restate/invocation/${byTarget.invocationId}/output`, { label: "output after kill by target" });
      await cli(t, "cancel when none runs", ["invocations", "cancel", "DiffWaiter", "--yes"], { exitCode: 1 });

      const done = (await t.call("/DiffGreeter/greet", "again")).invocationId!;
      await cli(t, "restart-as-new", ["invocations", "restart-as-new", done, "--yes"]);
    }));
});

describe("a scheduled invocation", () => {
  // Not yet started, it has no deployment and no live state: list and status print all they know of it.
  it("list, services status, kill", () =>
    diff.compare(async (t) => {
      const later = (await t.call("/DiffGreeter/greet/send?delay=1h", "later", keyed(t, "later"))).invocationId!;
      await cli(t, "list scheduled", ["invocations", "list", "--status", "scheduled"]);
      await cli(t, "list a service", ["invocations", "list", "--service", "DiffGreeter"]);
      await cli(t, "status of all", ["services", "status"], { unordered: true });
      await cli(t, "kill", ["invocations", "kill", later, "--yes"]);
      // Killed before it started, it is gone at once (on both, even with an idempotency key).
      await pollUntil(async () => ((await invocationStatus(t, later)) === undefined ? true : undefined), `${t.name}: ${later} gone`);
      await cli(t, "list scheduled after kill", ["invocations", "list", "--status", "scheduled"]);
    }));
});

describe("kv", () => {
  it("get, edit and clear an object's state", () =>
    diff.compare(async (t) => {
      const key = `kv-${t.tag}`;
      await t.call(`/DiffCounter/${key}/add`, 5);
      await cli(t, "get", ["kv", "get", "DiffCounter", key], { unordered: true });
      const editor = { replaceWith: '{"count": 7, "note": ["edited", 1]}' };
      await cli(t, "edit", ["kv", "edit", "DiffCounter", key, "--yes"], { editor, unordered: true });
      await t.callUntil(`/DiffCounter/${key}/get`, (o) => o.json === 7, { label: "count after edit" });
      await cli(t, "get after edit", ["kv", "get", "DiffCounter", key], { unordered: true });
      await cli(t, "clear", ["kv", "clear", `DiffCounter/${key}`, "--yes"], { unordered: true });
      await t.callUntil(`/DiffCounter/${key}/get`, (o) => o.json === 0, { label: "count after clear" });
      await cli(t, "get after clear", ["kv", "get", "DiffCounter", key]);
      await cli(t, "get of a service", ["kv", "get", "DiffGreeter", key], { exitCode: 1 });
    }));
});

describe("sql", () => {
  it("tables and JSON output", () =>
    diff.compare(async (t) => {
      await cli(t, "services", ["sql", "SELECT name, ty, revision FROM sys_service ORDER BY name"]);
      await cli(t, "count", ["sql", "SELECT COUNT(*) AS n FROM sys_deployment"]);
      await t.call("/DiffGreeter/greet", "sql", keyed(t, "sql"));
      const query = "SELECT target, status, completion_result, idempotency_key FROM sys_invocation WHERE target_service_name = 'DiffGreeter' AND idempotency_key LIKE 'sql-%' ORDER BY created_at";
      await cli(t, "invocations", ["sql", query]);
      await cli(t, "invocations --json", ["sql", "--json", query]);
    }));
});
