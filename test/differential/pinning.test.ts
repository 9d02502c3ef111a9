import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, it } from "vitest";
import { normaliseCliText, runRestateCli } from "../helpers/restate-cli.js";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { versionedService } from "../helpers/versioned-service.js";
import { keyed, untilStatus } from "./cli-steps.js";
import { differential, pollUntil, type Target } from "./harness.js";
import { postQuery } from "./query-results.js";
import { greeter } from "./services.js";

// Deployment pinning against stet and restate-server 1.7.12: an invocation's journal is replayed on the
// deployment of its first write, also after a newer one came; what removing that deployment does; and how
// resume and restart-as-new move an invocation (`deployment=keep|latest|dp_…`). Each scenario registers
// its own two versions of the same service, shared by both servers (state is kept per target tag).

const awakeables = new Map<string, string>();

const diff = differential([greeter]);

/** Two versions of DiffPin per scenario (one endpoint serves a version to both servers). */
const versions = new Map<string, TestEndpoint>();
let fake: { url: string; close(): void } | undefined;

beforeAll(async () => {
  for (const scenario of ["replay", "removal", "restart"]) {
    for (const version of ["v1", "v2"]) versions.set(`${scenario}-${version}`, await startEndpoint([versionedService("DiffPin", version, awakeables)]));
  }
  fake = await fakeDeployment();
}, 30_000);
afterAll(async () => {
  await Promise.all([...versions.values()].map((e) => e.close()));
  fake?.close();
});

/**
 * A deployment that speaks protocol v5 only (its discovery says so; it is never invoked) and serves
 * another service: a deployment a v6 invocation cannot move to.
 */
async function fakeDeployment(): Promise<{ url: string; close(): void }> {
  const server = http2.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/vnd.restate.endpointmanifest.v3+json" });
    const manifest = { protocolMode: "BIDI_STREAM", minProtocolVersion: 5, maxProtocolVersion: 5, services: [{ name: "DiffV5", ty: "SERVICE", handlers: [{ name: "h" }] }] };
    res.end(JSON.stringify(manifest));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** Registers `uri` (unrecorded: its answer names the endpoint) and records its id, numbering it. */
async function register(t: Target, uri: string, name: string): Promise<string> {
  const res = await fetch(`${t.adminUrl}/deployments`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ uri }) });
  const { id } = (await res.json()) as { id: string };
  t.note(`register ${name}`, { status: res.status, id });
  return id;
}

const version = (t: Target, scenario: string, v: string) => register(t, versions.get(`${scenario}-${v}`)!.url, v);

async function noteQuery(t: Target, label: string, sql: string, format: "json" | "arrow" = "json"): Promise<void> {
  t.note(label, await postQuery(t, sql, format));
}

const pinOf = (t: Target, id: string, label: string) =>
  noteQuery(t, label, `SELECT status, pinned_deployment_id, pinned_service_protocol_version FROM sys_invocation_status WHERE id = '${id}'`);

/** Starts `DiffPin/wait` (with an idempotency key, so the CLI prints alike) and waits until it suspended. */
async function suspendedWait(t: Target, tag: string): Promise<string> {
  const id = (await t.call("/DiffPin/wait/send", `${t.tag}-${tag}`, keyed(t, tag))).invocationId!;
  await untilStatus(t, id, "suspended");
  return id;
}

async function resolveAwakeable(t: Target, tag: string, value: string): Promise<void> {
  const awakeable = await pollUntil(() => awakeables.get(`${t.tag}-${tag}`), "the awakeable");
  await t.call(`/restate/awakeables/${awakeable}/resolve`, value, { label: `resolve ${tag}'s awakeable` });
}

/**
 * `restate invocations describe <id>`, recorded without the journal entries' append times (stet does not
 * keep them: known-differences.ts, queryJournal).
 */
async function describeInvocation(t: Target, step: string, id: string): Promise<void> {
  const result = await runRestateCli(["invocations", "describe", id], { adminUrl: t.adminUrl, ingressUrl: t.ingressUrl });
  const stdout = normaliseCliText(result.stdout).map((line) => line.replace(/^(\s*[├└]─ #\d+) \[<time>\]/, "$1"));
  t.note(step, { code: result.code, stdout, stderr: normaliseCliText(result.stderr) });
}

const attach = (t: Target, id: string, label: string) => t.get(`/restate/invocation/${id}/attach`, { label });

describe("deployment pinning", () => {
  it("replays an invocation on the deployment of its first write; a new one runs on the latest; the CLI shows the pin", () =>
    diff.compare(async (t) => {
      const v1 = await version(t, "replay", "v1");
      const waiting = await suspendedWait(t, "replay");
      await pinOf(t, waiting, "pinned to v1 once it wrote");
      await version(t, "replay", "v2");
      // What `deployments list --extra` and `deployments describe` ask.
      await noteQuery(t, "active invocations of v1", `SELECT COUNT(1) AS inv_count FROM sys_invocation_status WHERE pinned_deployment_id = '${v1}' AND status != 'completed'`, "arrow");
      await noteQuery(
        t,
        "active invocations of v1 by handler",
        `SELECT target_service_name as service, target_handler_name as handler, COUNT(1) AS inv_count FROM sys_invocation_status WHERE pinned_deployment_id = '${v1}' AND status != 'completed' GROUP BY pinned_deployment_id, target_service_name, target_handler_name`,
      );
      await describeInvocation(t, "invocations describe: Deployment … [required]", waiting);
      await resolveAwakeable(t, "replay", "x");
      await attach(t, waiting, "the waiting one finishes on v1");
      const fresh = (await t.call("/DiffPin/quick", undefined, { label: "a new invocation runs on v2" })).invocationId!;
      await pinOf(t, fresh, "the new one is pinned to v2");
    }));

  it("fails the attempts of an invocation whose deployment was removed with force, until a resume moves it", () =>
    diff.compare(async (t) => {
      const v1 = await version(t, "removal", "v1");
      const waiting = await suspendedWait(t, "removal");
      await version(t, "removal", "v2");
      await t.admin("DELETE", `/deployments/${v1}?force=true`, undefined, { label: "remove v1 with force" });
      await describeInvocation(t, "invocations describe: Deployment … [ZOMBIE]", waiting);
      await resolveAwakeable(t, "removal", "y");
      await untilStatus(t, waiting, "backing-off");
      await noteQuery(
        t,
        "backing off, still pinned to v1, failing",
        `SELECT status, pinned_deployment_id, last_failure IS NOT NULL AS failing FROM sys_invocation WHERE id = '${waiting}'`,
      );
      await t.admin("PATCH", `/invocations/${waiting}/resume?deployment=latest`, undefined, { label: "resume onto latest while backing off" });
      await t.admin("PATCH", `/invocations/${waiting}/pause`);
      await untilStatus(t, waiting, "paused");
      await t.admin("PATCH", `/invocations/${waiting}/resume?deployment=${v1}`, undefined, { label: "resume onto the removed v1" });
      await t.admin("PATCH", `/invocations/${waiting}/resume?deployment=latest`, undefined, { label: "resume onto latest while paused" });
      await attach(t, waiting, "its journal replayed on v2, which ran the rest");
      await pinOf(t, waiting, "pinned to v2 now");
    }));

  it("restart-as-new keeps, moves or refuses the pin; a deployment that does not speak the pinned version is refused", () =>
    diff.compare(async (t) => {
      const v1 = await version(t, "restart", "v1");
      const done = (await t.call("/DiffPin/quick", undefined, { label: "run on v1" })).invocationId!;
      await version(t, "restart", "v2");
      for (const [choice, label] of [["keep", "keep"], ["latest", "latest"], [v1, "v1"]] as const) {
        const res = await t.admin("PATCH", `/invocations/${done}/restart-as-new?deployment=${choice}`, undefined, { label: `restart-as-new on ${label}` });
        await attach(t, (res.json as { new_invocation_id: string }).new_invocation_id, `the restart on ${label} ran there`);
      }
      const v5 = await register(t, fake!.url, "a deployment of protocol v5 only");
      await t.admin("PATCH", `/invocations/${done}/restart-as-new?deployment=${v5}`, undefined, { label: "restart-as-new onto v5 only" });
      const waiting = await suspendedWait(t, "restart");
      await t.admin("PATCH", `/invocations/${waiting}/resume?deployment=${v5}`, undefined, { label: "resume onto v5 only" });
      await t.admin("POST", "/internal/invocations_batch_operations/resume", { invocation_ids: [waiting], deployment: v5 }, { label: "batch resume onto v5 only" });
      await t.admin("PATCH", `/invocations/${waiting}/kill`);

      // Failed before writing anything: paused and never pinned.
      const failed = (await t.call("/DiffPin/fail/send")).invocationId!;
      await untilStatus(t, failed, "paused");
      await pinOf(t, failed, "paused unpinned");
      await t.admin("PATCH", `/invocations/${failed}/resume?deployment=${v1}`, undefined, { label: "pin an unpinned one to v1" });
      await t.admin("PATCH", `/invocations/${failed}/kill`);
      await untilStatus(t, failed, "completed");
      await t.admin("PATCH", `/invocations/${failed}/restart-as-new?from=1`, undefined, { label: "restart an unpinned one from a prefix" });
    }));
});
