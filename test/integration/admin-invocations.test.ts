import * as restate from "@restatedev/restate-sdk";
import { afterEach, describe, expect, it } from "vitest";
import type { InvocationJson } from "../../server/admin/index.js";
import { startEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet, type TestStet } from "../helpers/stet.js";

// Invocation control through the admin API against stet in-process and official-SDK services. The
// statuses asserted are what Restate 1.7.12 answers for the same requests.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** What the handlers saw, keyed by invocation id; ctx.run keeps each entry to one per invocation. */
const seen = new Map<string, string[]>();
const note = (id: string, what: string) => seen.set(id, [...(seen.get(id) ?? []), what]);

/** Sleeps; on cancellation runs a compensation step, then rethrows, as the SDK docs recommend. */
async function sleepThenCompensate(ctx: restate.Context, ms: number): Promise<string> {
  const id = ctx.request().id;
  try {
    await ctx.sleep(ms);
  } catch (error) {
    if (error instanceof restate.CancelledError) await ctx.run("compensate", () => note(id, "compensated"));
    throw error;
  }
  await ctx.run("woke", () => note(id, "woke"));
  return "woke";
}

const sleeper = restate.service({
  name: "Sleeper",
  handlers: {
    long: async (ctx: restate.Context) => sleepThenCompensate(ctx, 60_000),
    short: async (ctx: restate.Context) => sleepThenCompensate(ctx, 1_000),
    quick: async () => "done",
  },
});

// The same handlers on a service whose invocations suspend while they sleep (stet closes the attempt
// after 100 ms without progress), so control reaches them with no attempt running.
const suspender = restate.service({
  name: "Suspender",
  handlers: {
    long: async (ctx: restate.Context) => sleepThenCompensate(ctx, 60_000),
    short: async (ctx: restate.Context) => sleepThenCompensate(ctx, 1_000),
  },
  options: { inactivityTimeout: 100 },
});

let flakyMayFinish = false;
const attempts = new Map<string, number>();
const flaky = restate.service({
  name: "Flaky",
  handlers: {
    work: async (ctx: restate.Context) => {
      const id = ctx.request().id;
      attempts.set(id, (attempts.get(id) ?? 0) + 1);
      if (!flakyMayFinish) throw new Error("not yet");
      return "finally";
    },
  },
  // Fast retries, so a pause that does not hold shows up quickly as more attempts.
  options: { retryPolicy: { initialInterval: 20, maxInterval: 50 } },
});

const childIds = new Set<string>();
const child = restate.service({
  name: "Child",
  handlers: {
    work: async (ctx: restate.Context) => {
      childIds.add(ctx.request().id);
      return sleepThenCompensate(ctx, 60_000);
    },
  },
});
const parent = restate.service({
  name: "Parent",
  handlers: {
    run: async (ctx: restate.Context) => ctx.serviceClient(child).work(),
  },
});

async function setup(): Promise<TestStet> {
  const endpoint = await startEndpoint([sleeper, suspender, flaky, child, parent]);
  cleanups.push(() => endpoint.close());
  const stet = await startTestStet();
  cleanups.push(() => stet.close());
  await stet.register(endpoint.url);
  return stet;
}

const admin = (stet: TestStet, method: string, path: string) => fetch(`${stet.node.adminUrl}${path}`, { method });

async function send(stet: TestStet, path: string): Promise<string> {
  const res = await stet.call(`${path}/send`);
  expect(res.status).toBe(202);
  return ((await res.json()) as { invocationId: string }).invocationId;
}

async function describeInvocation(stet: TestStet, id: string): Promise<InvocationJson | undefined> {
  const res = await admin(stet, "GET", `/invocations/${id}`);
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  return (await res.json()) as InvocationJson;
}

/** Polls the invocation until `done` holds (observation, not a timed wait for correctness). */
async function until(stet: TestStet, id: string, done: (i: InvocationJson | undefined) => boolean, timeoutMs = 10_000): Promise<InvocationJson | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await describeInvocation(stet, id);
    if (done(current)) return current;
    if (Date.now() > deadline) throw new Error(`invocation ${id} did not get there in ${timeoutMs} ms; last: ${JSON.stringify(current)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Attaches to the invocation's result; bounded, so an invocation that never ends fails the test instead of hanging it. */
const attach = async (stet: TestStet, id: string, timeoutMs = 10_000) => {
  const res = await fetch(`${stet.node.ingressUrl}/restate/invocation/${id}/attach`, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
};

const started = (stet: TestStet, id: string) => stet.events.filter((e) => e.type === "attempt-started" && e.invocationId === id).length;

describe("admin invocation control", () => {
  it.each([
    ["running", "Sleeper"],
    ["suspended", "Suspender"],
  ])("cancels a sleeping (%s) invocation: the handler compensates, attach answers the cancellation", async (status, service) => {
    const stet = await setup();
    const id = await send(stet, `/${service}/long`);
    const waiting = await until(stet, id, (i) => i !== undefined && i.journal_size >= 2 && i.status === status);
    expect(waiting).toMatchObject({ id, target: `${service}/long`, target_service_name: service, target_service_key: null, invoked_by: "ingress" });

    expect((await admin(stet, "PATCH", `/invocations/${id}/cancel`)).status).toBe(202);
    const attached = await attach(stet, id);
    expect(attached.status).toBe(409);
    expect(attached.body).toMatch(/cancel/i);
    expect(seen.get(id)).toEqual(["compensated"]);
    expect(await describeInvocation(stet, id)).toMatchObject({
      status: "completed",
      completion_result: "failure",
      completion_failure: expect.stringMatching(/^\[409\] /),
    });

    // Restate: a completed invocation can be neither cancelled nor killed again.
    expect((await admin(stet, "PATCH", `/invocations/${id}/cancel`)).status).toBe(409);
    expect((await admin(stet, "PATCH", `/invocations/${id}/kill`)).status).toBe(409);
  });

  it.each([
    ["running", "Sleeper"],
    ["suspended", "Suspender"],
  ])("kills a sleeping (%s) invocation at once; its timer never wakes it", async (status, service) => {
    const stet = await setup();
    const id = await send(stet, `/${service}/short`);
    await until(stet, id, (i) => i !== undefined && i.journal_size >= 2 && i.status === status);

    expect((await admin(stet, "PATCH", `/invocations/${id}/kill`)).status).toBe(200);
    const attached = await attach(stet, id);
    expect(attached.status).toBe(409);
    expect(attached.body).toMatch(/kill/i);
    const attemptsAtKill = started(stet, id);

    // The 1 s timer would have fired by now; the handler must not have run past its sleep.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(seen.get(id)).toBeUndefined();
    expect(started(stet, id)).toBe(attemptsAtKill);
    expect(await describeInvocation(stet, id)).toMatchObject({ status: "completed", completion_result: "failure" });
  });

  it("purges a completed invocation (then 404 everywhere) and refuses to purge a running one", async () => {
    const stet = await setup();
    const done = await send(stet, "/Sleeper/quick");
    expect(await attach(stet, done)).toEqual({ status: 200, body: '"done"' });
    expect(await describeInvocation(stet, done)).toMatchObject({ status: "completed", completion_result: "success", completion_failure: null });

    expect((await admin(stet, "PATCH", `/invocations/${done}/purge`)).status).toBe(200);
    expect(await describeInvocation(stet, done)).toBeUndefined();
    expect((await attach(stet, done)).status).toBe(404);
    expect((await admin(stet, "PATCH", `/invocations/${done}/purge`)).status).toBe(404);

    const running = await send(stet, "/Sleeper/long");
    await until(stet, running, (i) => i !== undefined && i.journal_size >= 2);
    const refused = await admin(stet, "PATCH", `/invocations/${running}/purge`);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ message: `The invocation '${running}' is not yet completed.`, restate_code: null });
    expect((await admin(stet, "PATCH", `/invocations/${running}/kill`)).status).toBe(200);
  });

  it("pauses a retrying invocation (no more attempts) and resumes it to completion", async () => {
    const stet = await setup();
    flakyMayFinish = false;
    const id = await send(stet, "/Flaky/work");
    await until(stet, id, () => (attempts.get(id) ?? 0) >= 2);

    expect((await admin(stet, "PATCH", `/invocations/${id}/pause`)).status).toBe(202);
    await until(stet, id, (i) => i?.status === "paused");
    expect((await admin(stet, "PATCH", `/invocations/${id}/pause`)).status).toBe(200);
    const attemptsAtPause = attempts.get(id);
    const startedAtPause = started(stet, id);

    // Retries run every 50 ms at most: ten retry intervals without one show the pause holds.
    await new Promise((r) => setTimeout(r, 500));
    expect(attempts.get(id)).toBe(attemptsAtPause);
    expect(started(stet, id)).toBe(startedAtPause);
    expect((await describeInvocation(stet, id))?.status).toBe("paused");

    flakyMayFinish = true;
    expect((await admin(stet, "PATCH", `/invocations/${id}/resume`)).status).toBe(200);
    expect(await attach(stet, id)).toEqual({ status: 200, body: '"finally"' });
    expect((await admin(stet, "PATCH", `/invocations/${id}/resume`)).status).toBe(409);
  });

  it("cancels the child a cancelled parent is waiting for", async () => {
    const stet = await setup();
    childIds.clear();
    const parentId = await send(stet, "/Parent/run");
    await until(stet, parentId, () => childIds.size === 1);
    const [childId] = [...childIds];
    const childBefore = await until(stet, childId!, (i) => i !== undefined && i.journal_size >= 2);
    expect(childBefore).toMatchObject({ target: "Child/work", invoked_by: "service", invoked_by_id: parentId, invoked_by_target: "Parent/run" });

    expect((await admin(stet, "PATCH", `/invocations/${parentId}/cancel`)).status).toBe(202);
    expect((await attach(stet, parentId)).status).toBe(409);
    const childAfter = await until(stet, childId!, (i) => i?.status === "completed");
    expect(childAfter).toMatchObject({ completion_result: "failure", completion_failure: expect.stringMatching(/^\[409\] /) });
    expect(seen.get(childId!)).toEqual(["compensated"]);
    expect((await attach(stet, childId!)).status).toBe(409);
  });

  it("kills the child a killed parent is waiting for", async () => {
    const stet = await setup();
    childIds.clear();
    const parentId = await send(stet, "/Parent/run");
    await until(stet, parentId, () => childIds.size === 1);
    const [childId] = [...childIds];
    await until(stet, childId!, (i) => i !== undefined && i.journal_size >= 2);

    expect((await admin(stet, "PATCH", `/invocations/${parentId}/kill`)).status).toBe(200);
    expect((await attach(stet, parentId)).status).toBe(409);
    expect(await until(stet, childId!, (i) => i?.status === "completed")).toMatchObject({ completion_failure: expect.stringMatching(/killed/i) });
    // Killed, not cancelled: the child's handler got no chance to compensate.
    expect(seen.get(childId!)).toBeUndefined();
  });

  it("cancels a delayed invocation before it starts (200): it never runs", async () => {
    const stet = await setup();
    const res = await stet.call("/Sleeper/quick/send?delay=60s");
    const { invocationId: id } = (await res.json()) as { invocationId: string };
    expect((await describeInvocation(stet, id))?.status).toBe("scheduled");
    expect((await admin(stet, "PATCH", `/invocations/${id}/pause`)).status).toBe(409);
    expect((await admin(stet, "PATCH", `/invocations/${id}/resume`)).status).toBe(425);
    expect((await admin(stet, "PATCH", `/invocations/${id}/cancel`)).status).toBe(200);
    // Restate forgets such an invocation at once (404); stet keeps it completed with the cancellation.
    const after = await describeInvocation(stet, id);
    if (after !== undefined) expect(after).toMatchObject({ status: "completed", completion_result: "failure" });
    expect(started(stet, id)).toBe(0);
  });

  // Restate 1.7.12 answers 202 and resumes the paused invocation so that it sees the cancellation.
  it("cancels a paused invocation: it resumes, compensates and ends cancelled", async () => {
    const stet = await setup();
    const id = await send(stet, "/Sleeper/long");
    await until(stet, id, (i) => i !== undefined && i.journal_size >= 2);
    expect((await admin(stet, "PATCH", `/invocations/${id}/pause`)).status).toBe(202);
    await until(stet, id, (i) => i?.status === "paused");

    expect((await admin(stet, "PATCH", `/invocations/${id}/cancel`)).status).toBe(202);
    const ended = await until(stet, id, (i) => i?.status === "completed", 5_000);
    expect(ended).toMatchObject({ completion_result: "failure", completion_failure: expect.stringMatching(/^\[409\] /) });
    expect(seen.get(id)).toEqual(["compensated"]);
    expect((await attach(stet, id)).status).toBe(409);
  });

  // Restate 1.7.12 answers 200 and runs a new attempt at once (which suspends again).
  it("resumes a suspended invocation", async () => {
    const stet = await setup();
    const id = await send(stet, "/Suspender/long");
    await until(stet, id, (i) => i?.status === "suspended");
    const attemptsBefore = started(stet, id);
    const res = await admin(stet, "PATCH", `/invocations/${id}/resume`);
    expect({ status: res.status, body: await res.text() }).toEqual({ status: 200, body: "" });
    await stet.waitFor(() => started(stet, id) > attemptsBefore);
    expect((await admin(stet, "PATCH", `/invocations/${id}/kill`)).status).toBe(200);
  });

  it("accepts the deprecated DELETE with each mode", async () => {
    const stet = await setup();
    const id = await send(stet, "/Sleeper/long");
    await until(stet, id, (i) => i !== undefined && i.journal_size >= 2);
    expect((await admin(stet, "DELETE", `/invocations/${id}?mode=purge`)).status).toBe(202);
    expect((await describeInvocation(stet, id))?.status).not.toBe("completed");
    expect((await admin(stet, "DELETE", `/v4/invocations/${id}?mode=Kill`)).status).toBe(202);
    expect((await attach(stet, id)).status).toBe(409);
    expect((await admin(stet, "DELETE", `/invocations/${id}?mode=purge`)).status).toBe(202);
    expect(await describeInvocation(stet, id)).toBeUndefined();
  });
});
