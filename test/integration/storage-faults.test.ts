import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { useStetWithServices } from "../helpers/stet-with-services.js";

const setup = useStetWithServices();

const napper = restate.service({
  name: "Napper",
  handlers: {
    nap: async (ctx: restate.Context, ms: number) => {
      const before = await ctx.run("before", () => "ran");
      await ctx.sleep(ms);
      return before;
    },
  },
  options: { retryPolicy: { initialInterval: 50, maxInterval: 200 } },
});

/** Rows of a `POST /query` on the admin port: what the node's storage holds, read apart from the engine. */
async function sql<T>(adminUrl: string, query: string): Promise<T[]> {
  const res = await fetch(`${adminUrl}/query`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { rows: T[] }).rows;
}

async function invocationCount(adminUrl: string): Promise<number> {
  return (await sql<{ n: number }>(adminUrl, "SELECT count(*) AS n FROM sys_invocation"))[0]!.n;
}

describe("storage faults", () => {
  it("answers 503 when the disk is full, applies nothing, and works again once there is room", async () => {
    const stet = await setup([napper]);
    const store = stet.node.partitions.store;
    const before = await invocationCount(stet.node.adminUrl);
    const free = store.faults.fillDisk();
    // Fill the last free pages so the next command cannot fit.
    let refused: Response | undefined;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const res = await stet.call("/Napper/nap/send", 1);
      if (res.status !== 202) refused = res;
    }
    expect(refused?.status).toBe(503);
    expect(((await refused!.json()) as { message: string }).message).toMatch(/storage|full/i);
    const during = await invocationCount(stet.node.adminUrl);
    expect(store.verify()).toEqual([]);
    // Every accepted invocation has its input journaled: no half-applied command.
    const journaled = await sql<{ n: number }>(stet.node.adminUrl, "SELECT count(DISTINCT id) AS n FROM sys_journal WHERE index = 0");
    expect(journaled[0]!.n).toBe(during);
    expect(during).toBeGreaterThanOrEqual(before);

    free();
    const res = await stet.call("/Napper/nap", 1);
    expect(res.status).toBe(200);
    expect(await res.json()).toBe("ran");
  });

  it("fails only the attempt when journal writes fail, and finishes the invocation once writes work again", async () => {
    const stet = await setup([napper]);
    const store = stet.node.partitions.store;
    const { invocationId } = (await (await stet.call("/Napper/nap/send", 300)).json()) as { invocationId: string };
    await stet.waitFor((e) => e.type === "attempt-started" && e.invocationId === invocationId);
    // Every write to the journal now fails as an I/O error would.
    const heal = store.faults.failJournalWrites();
    await stet.waitFor((e) => e.type === "attempt-failed" && e.invocationId === invocationId);
    expect(stet.node.partitions.getInvocation(invocationId)?.status).not.toBe("completed");
    expect((await fetch(`${stet.node.adminUrl}/health`)).status).toBe(200);
    heal();
    const attached = await fetch(`${stet.node.ingressUrl}/restate/invocation/${invocationId}/attach`);
    expect(await attached.json()).toBe("ran");
  });
});
