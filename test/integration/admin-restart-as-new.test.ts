import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it, vi } from "vitest";
import { formatAwakeableId, parseAwakeableId, parseInvocationId } from "../../protocol/index.js";
import { startEndpoint } from "../helpers/sdk-endpoint.js";
import { startTestStet } from "../helpers/stet.js";
import { useStetWithServices } from "../helpers/stet-with-services.js";
import { restartServices } from "../helpers/restart-services.js";
import { tempDir } from "../helpers/temp-dir.js";

const setup = useStetWithServices();

let runs = 0;
const echo = restate.service({
  name: "Again",
  handlers: {
    echo: async (ctx: restate.Context, s: string) => {
      await ctx.run("count", () => void runs++);
      return `${s} #${ctx.request().headers.get("x-tag") ?? "?"}`;
    },
    slow: async (ctx: restate.Context) => {
      await ctx.sleep(60_000);
      return "late";
    },
  },
});

// Side effects counted per tag and step: what a replay skips and a re-execution counts again.
const { steps, counter, flow, sideEffects, awakeables } = restartServices("");
const counted = (tag: string) => [1, 2, 3].map((step) => sideEffects.get(`${tag}:${step}`) ?? 0);

const restart = (adminUrl: string, id: string, query = "") =>
  fetch(`${adminUrl}/invocations/${id}/restart-as-new${query}`, { method: "PATCH" });

/** Restarts and returns the new invocation's id (fails the test on a refusal). */
async function restartedId(adminUrl: string, id: string, query = ""): Promise<string> {
  const res = await restart(adminUrl, id, query);
  const body = (await res.json()) as { new_invocation_id?: string; message?: string };
  expect(res.status, body.message).toBe(200);
  return body.new_invocation_id!;
}

const attach = async (ingressUrl: string, id: string) => (await fetch(`${ingressUrl}/restate/invocation/${id}/attach`)).json();

async function refusal(adminUrl: string, id: string, query: string): Promise<{ status: number; message: string }> {
  const res = await restart(adminUrl, id, query);
  return { status: res.status, message: ((await res.json()) as { message: string }).message };
}

describe("PATCH /invocations/{id}/restart-as-new", () => {
  it("runs a completed invocation again as a new one with the same input and headers", async () => {
    const stet = await setup([echo]);
    runs = 0;
    const first = await stet.call("/Again/echo", "hello", { "x-tag": "t1" });
    const id = first.headers.get("x-restate-id")!;
    expect(await first.json()).toBe("hello #t1");

    const newId = await restartedId(stet.node.adminUrl, id);
    expect(newId).toMatch(/^inv_1/);
    expect(newId).not.toBe(id);
    expect(await attach(stet.node.ingressUrl, newId)).toBe("hello #t1");
    expect(runs).toBe(2);
  });

  it("refuses unknown (404), running (409) and not yet started (425) invocations in Restate's words", async () => {
    const stet = await setup([echo]);
    const unknown = "inv_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hbz";
    expect(await refusal(stet.node.adminUrl, unknown, "?from=2")).toEqual({ status: 404, message: `The requested invocation '${unknown}' does not exist` });
    const sent = (await (await stet.call("/Again/slow/send")).json()) as { invocationId: string };
    expect(await refusal(stet.node.adminUrl, sent.invocationId, "")).toEqual({ status: 409, message: `The invocation '${sent.invocationId}' is still running.` });
    const later = (await (await stet.call("/Again/echo/send?delay=1h", "x")).json()) as { invocationId: string };
    expect(await refusal(stet.node.adminUrl, later.invocationId, "?from=1")).toEqual({
      status: 425,
      message: `The invocation '${later.invocationId}' cannot be restarted because it's not running yet.`,
    });
  });
});

describe("restart-as-new from a journal prefix (?from=N)", () => {
  it("replays the copied steps to the service and runs only those after them", async () => {
    const stet = await setup([steps]);
    const first = await stet.call("/Steps/three", "p");
    const id = first.headers.get("x-restate-id")!;
    expect(await first.json()).toBe("p=6");
    expect(counted("p")).toEqual([1, 1, 1]);

    // Up to step two's completion (entry 4): step three alone runs again.
    expect(await attach(stet.node.ingressUrl, await restartedId(stet.node.adminUrl, id, "?from=4"))).toBe("p=6");
    expect(counted("p")).toEqual([1, 1, 2]);
    // Up to step one's command (entry 1): its completion comes along, steps two and three run again.
    expect(await attach(stet.node.ingressUrl, await restartedId(stet.node.adminUrl, id, "?from=1"))).toBe("p=6");
    expect(counted("p")).toEqual([1, 2, 3]);
    // The whole journal, output included: nothing runs again.
    expect(await attach(stet.node.ingressUrl, await restartedId(stet.node.adminUrl, id, "?from=7&deployment=keep"))).toBe("p=6");
    expect(counted("p")).toEqual([1, 2, 3]);
    // The original is left as it was.
    expect(await attach(stet.node.ingressUrl, id)).toBe("p=6");
  });

  it("refuses a prefix past the journal's end or with a command whose completion never came, with Restate's 400s", async () => {
    const stet = await setup([steps]);
    const done = (await stet.call("/Steps/three", "r")).headers.get("x-restate-id")!;
    const copyRange = (id: string) => `The prefix of the journal '${id}' up to 'from' (included) contains some Commands without respective Completions.`;
    expect(await refusal(stet.node.adminUrl, done, "?from=8")).toEqual({ status: 400, message: copyRange(done) });
    expect(await refusal(stet.node.adminUrl, done, "?from=4294967295")).toEqual({
      status: 400,
      message: `The given index is out of range of currently stored journal for invocation '${done}'.`,
    });
    expect((await restart(stet.node.adminUrl, done, "?from=-1")).status).toBe(400);
    expect((await restart(stet.node.adminUrl, done, "?from=4294967296")).status).toBe(400);
    expect(await refusal(stet.node.adminUrl, done, "?from=2&deployment=bogus")).toEqual({
      status: 400,
      message: "The query parameter 'deployment' is invalid. Reason: bad format",
    });

    const raced = (await stet.call("/Steps/racer")).headers.get("x-restate-id")!;
    expect(await refusal(stet.node.adminUrl, raced, "?from=2")).toEqual({ status: 400, message: copyRange(raced) });
    // Before the sleep, the prefix is whole.
    expect(await attach(stet.node.ingressUrl, await restartedId(stet.node.adminUrl, raced, "?from=0"))).toBe("quick");
  });

  it("does not apply a copied state write again; a write after the prefix runs on the current state", async () => {
    const stet = await setup([counter]);
    const first = (await stet.call("/Counter/k/add", 5)).headers.get("x-restate-id")!;
    await stet.call("/Counter/k/add", 5);
    const value = async () => (await stet.call("/Counter/k/get")).json();
    expect(await value()).toBe(10);

    // Entries 0–2 (the read and the write) are replayed: the state stays 10, the run (entry 3) runs again.
    expect(await attach(stet.node.ingressUrl, await restartedId(stet.node.adminUrl, first, "?from=2"))).toBe(5);
    expect(await value()).toBe(10);
    expect(sideEffects.get("counter:k")).toBe(3);
    // Only the read (entry 1) is replayed: it still reads 0, and the write runs again, setting 5.
    expect(await attach(stet.node.ingressUrl, await restartedId(stet.node.adminUrl, first, "?from=1"))).toBe(5);
    expect(await value()).toBe(5);
  });

  it("copies a signal only when it is inside the prefix", async () => {
    const stet = await setup([steps]);
    const sent = (await (await stet.call("/Steps/awaitResolution/send", "s")).json()) as { invocationId: string };
    await vi.waitFor(() => expect(awakeables.get("s")).toBeDefined());
    await fetch(`${stet.node.ingressUrl}/restate/awakeables/${awakeables.get("s")}/resolve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify("resolved"),
    });
    expect(await attach(stet.node.ingressUrl, sent.invocationId)).toBe("resolved");

    expect(await attach(stet.node.ingressUrl, await restartedId(stet.node.adminUrl, sent.invocationId, "?from=3"))).toBe("resolved");
    // Without the signal the new invocation waits for an awakeable of its own (its id derives from the
    // new invocation's id): it ends once that one is resolved.
    const waiting = await restartedId(stet.node.adminUrl, sent.invocationId, "?from=2");
    const own = formatAwakeableId(parseInvocationId(waiting), parseAwakeableId(awakeables.get("s")!).signalIndex);
    const resolved = await fetch(`${stet.node.ingressUrl}/restate/awakeables/${own}/resolve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify("again"),
    });
    expect(resolved.status).toBe(202);
    expect(await attach(stet.node.ingressUrl, waiting)).toBe("again");
  });

  it("refuses workflows (422); the new invocation does not take over the original's idempotency key", async () => {
    const stet = await setup([flow, steps]);
    const run = (await stet.call("/Flow/w/run")).headers.get("x-restate-id")!;
    const peek = (await stet.call("/Flow/w/peek")).headers.get("x-restate-id")!;
    for (const id of [run, peek]) {
      expect(await refusal(stet.node.adminUrl, id, "?from=1")).toEqual({
        status: 422,
        message: `Restarting the invocation '${id}' is not supported. Restarting workflows is not supported, and restarting invocations created using the old service protocol.`,
      });
    }
    const keyed = (await stet.call("/Steps/three", "i", { "idempotency-key": "once" })).headers.get("x-restate-id")!;
    await restartedId(stet.node.adminUrl, keyed, "?from=2");
    expect((await stet.call("/Steps/three", "i", { "idempotency-key": "once" })).headers.get("x-restate-id")).toBe(keyed);
  });

  it("keeps the copied journal across a restart of stet: the prefix is still not run again", async () => {
    const dir = tempDir();
    const endpoint = await startEndpoint([steps]);
    const port = Number(new URL(endpoint.url).port);
    let stet = await startTestStet({ dataDir: `${dir.path}/data` });
    let revived: Awaited<ReturnType<typeof startEndpoint>> | undefined;
    try {
      await stet.register(endpoint.url);
      const id = (await stet.call("/Steps/three", "d")).headers.get("x-restate-id")!;
      // The service goes away: the new invocation is created with its copy, and cannot run yet.
      await endpoint.close();
      const newId = await restartedId(stet.node.adminUrl, id, "?from=4");
      await stet.close();

      revived = await startEndpoint([steps], { port });
      stet = await startTestStet({ dataDir: `${dir.path}/data` });
      expect(await attach(stet.node.ingressUrl, newId)).toBe("d=6");
      expect(counted("d")).toEqual([1, 1, 2]);
    } finally {
      await stet.close();
      await revived?.close();
      await endpoint.close();
      dir.remove();
    }
  });
});
