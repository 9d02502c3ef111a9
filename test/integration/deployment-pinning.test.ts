import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startEndpoint, type TestEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";
import { versionedService } from "../helpers/versioned-service.js";

// Deployment pinning, end to end: an invocation's journal is replayed by the deployment that wrote it,
// also after a newer one is registered; removing that deployment fails its attempts until an operator
// moves it (resume or restart-as-new with `deployment=`).

const awakeables = new Map<string, string>();
const gates = new Map<string, () => void>();

/** Runs without writing anything until the test opens its gate (no inactivity timeout cuts it meanwhile). */
const hold = restate.service({
  name: "Hold",
  handlers: {
    hold: async (ctx: restate.Context, tag: string) => {
      await new Promise<void>((resolve) => gates.set(tag, resolve));
      return await ctx.run("step", () => "held");
    },
  },
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function endpoint(version: string): Promise<TestEndpoint> {
  const e = await startEndpoint([versionedService("Pin", version, awakeables), hold]);
  cleanups.push(() => e.close());
  return e;
}

/** stet with v1 registered. */
async function setup(): Promise<{ stet: TestStet; v1: string; register(e: TestEndpoint): Promise<string> }> {
  const stet = await startTestStet();
  cleanups.push(() => stet.close());
  const register = async (e: TestEndpoint) => ((await stet.register(e.url)) as { id: string }).id;
  return { stet, v1: await register(await endpoint("v1")), register };
}

interface InvocationJson {
  status: string;
  pinned_deployment_id: string | null;
  pinned_service_protocol_version: number | null;
  last_failure: string | null;
}

const invocation = async (stet: TestStet, id: string) => (await (await fetch(`${stet.node.adminUrl}/invocations/${id}`)).json()) as InvocationJson;
const untilStatus = (stet: TestStet, id: string, status: string) => vi.waitFor(async () => expect((await invocation(stet, id)).status).toBe(status), { timeout: 10_000 });
const send = async (stet: TestStet, path: string, body?: unknown) => ((await (await stet.call(path, body)).json()) as { invocationId: string }).invocationId;
const output = async (stet: TestStet, id: string) => (await fetch(`${stet.node.ingressUrl}/restate/invocation/${id}/attach`)).json();
const admin = (stet: TestStet, method: string, path: string) => fetch(`${stet.node.adminUrl}${path}`, { method });
const resolve = (stet: TestStet, tag: string, value: string) => stet.call(`/restate/awakeables/${awakeables.get(tag)}/resolve`, value);

/** Starts `Pin/wait` and returns once it suspended, its awakeable published. */
async function suspendedWait(stet: TestStet, tag: string): Promise<string> {
  const id = await send(stet, "/Pin/wait/send", tag);
  await untilStatus(stet, id, "suspended");
  return id;
}

async function query(stet: TestStet, sql: string): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${stet.node.adminUrl}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: sql }),
  });
  const body = (await res.json()) as { rows?: Array<Record<string, unknown>> };
  if (body.rows === undefined) throw new Error(`query failed: ${res.status} ${JSON.stringify(body)}`);
  return body.rows;
}

describe("deployment pinning", () => {
  it("pins an invocation with its first journal write, and replays it there after a newer deployment came", async () => {
    const { stet, v1, register } = await setup();
    // Running, nothing written yet: not pinned.
    const held = await send(stet, "/Hold/hold/send", "h");
    await vi.waitFor(() => expect(gates.has("h")).toBe(true));
    expect((await invocation(stet, held)).pinned_deployment_id).toBeNull();
    gates.get("h")!();
    expect(await output(stet, held)).toBe("held");
    expect(await invocation(stet, held)).toMatchObject({ pinned_deployment_id: v1, pinned_service_protocol_version: 6 });

    const waiting = await suspendedWait(stet, "w");
    expect((await invocation(stet, waiting)).pinned_deployment_id).toBe(v1);
    const v2 = await register(await endpoint("v2"));
    await resolve(stet, "w", "x");
    expect(await output(stet, waiting)).toBe("v1:x:v1");
    const fresh = (await stet.call("/Pin/quick")).headers.get("x-restate-id")!;
    expect(await invocation(stet, fresh)).toMatchObject({ pinned_deployment_id: v2 });

    const rows = await query(stet, `SELECT id, pinned_deployment_id, pinned_service_protocol_version FROM sys_invocation_status WHERE id IN ('${waiting}', '${fresh}') ORDER BY created_at`);
    expect(rows).toEqual([
      { id: waiting, pinned_deployment_id: v1, pinned_service_protocol_version: 6 },
      { id: fresh, pinned_deployment_id: v2, pinned_service_protocol_version: 6 },
    ]);
  });

  it("fails the attempts of an invocation whose deployment was removed, until a resume moves it to another", async () => {
    const { stet, v1, register } = await setup();
    const waiting = await suspendedWait(stet, "gone");
    await register(await endpoint("v2"));
    expect((await admin(stet, "DELETE", `/deployments/${v1}?force=true`)).status).toBe(202);
    await resolve(stet, "gone", "y");
    await untilStatus(stet, waiting, "backing-off");
    expect((await invocation(stet, waiting)).last_failure).toContain(`the deployment ${v1} this invocation is pinned to is not registered any more`);
    const [live] = await query(stet, `SELECT last_failure_error_code FROM sys_invocation WHERE id = '${waiting}'`);
    expect(live).toEqual({ last_failure_error_code: "deployment_gone" });

    // Restate moves only a paused or suspended invocation: pause it first.
    expect((await admin(stet, "PATCH", `/invocations/${waiting}/resume?deployment=latest`)).status).toBe(409);
    expect((await admin(stet, "PATCH", `/invocations/${waiting}/pause`)).status).toBe(202);
    await untilStatus(stet, waiting, "paused");
    expect((await admin(stet, "PATCH", `/invocations/${waiting}/resume?deployment=${v1}`)).status).toBe(400);
    expect((await admin(stet, "PATCH", `/invocations/${waiting}/resume?deployment=latest`)).status).toBe(200);
    // Its journal replayed on v2, which ran what came after.
    expect(await output(stet, waiting)).toBe("v2:y:v2");
  });

  it("restarts as new on the original's deployment (keep), the latest, or one named", async () => {
    const { stet, v1, register } = await setup();
    const first = await send(stet, "/Pin/quick/send");
    expect(await output(stet, first)).toBe("v1");
    const v2 = await register(await endpoint("v2"));
    const restarted = async (choice: string) => {
      const res = await admin(stet, "PATCH", `/invocations/${first}/restart-as-new?deployment=${choice}`);
      const id = ((await res.json()) as { new_invocation_id: string }).new_invocation_id;
      return [await output(stet, id), (await invocation(stet, id)).pinned_deployment_id];
    };
    expect(await restarted("keep")).toEqual(["v1", v1]);
    expect(await restarted("latest")).toEqual(["v2", v2]);
    expect(await restarted(v1)).toEqual(["v1", v1]);
  });
});
