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

type Db = Awaited<ReturnType<typeof setup>>["node"]["partitions"]["store"]["db"];

/** Simulates a full disk: SQLite refuses to grow the database past its current size. */
function fillDisk(db: Db): () => void {
  const pages = (db.pragma("page_count", { simple: true }) as number) + 0;
  db.pragma(`max_page_count = ${pages}`);
  return () => void db.pragma("max_page_count = 1073741823");
}

describe("storage faults", () => {
  it("answers 503 when the disk is full, applies nothing, and works again once there is room", async () => {
    const stet = await setup([napper]);
    const db = stet.node.partitions.store.db;
    const before = (db.prepare("SELECT count(*) AS n FROM invocations").get() as { n: number }).n;
    const free = fillDisk(db);
    // Fill the last free pages so the next command cannot fit.
    let refused: Response | undefined;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const res = await stet.call("/Napper/nap/send", 1);
      if (res.status !== 202) refused = res;
    }
    expect(refused?.status).toBe(503);
    expect(((await refused!.json()) as { message: string }).message).toMatch(/storage|full/i);
    const during = (db.prepare("SELECT count(*) AS n FROM invocations").get() as { n: number }).n;
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    // Every accepted invocation has its input journaled: no half-applied command.
    const orphans = db.prepare("SELECT count(*) AS n FROM invocations i WHERE NOT EXISTS (SELECT 1 FROM journal j WHERE j.invocation_seq = i.seq AND j.idx = 0)").get() as { n: number };
    expect(orphans.n).toBe(0);
    expect(during).toBeGreaterThanOrEqual(before);

    free();
    const res = await stet.call("/Napper/nap", 1);
    expect(res.status).toBe(200);
    expect(await res.json()).toBe("ran");
  });

  it("fails only the attempt when journal writes fail, and finishes the invocation once writes work again", async () => {
    const stet = await setup([napper]);
    const db = stet.node.partitions.store.db;
    const { invocationId } = (await (await stet.call("/Napper/nap/send", 300)).json()) as { invocationId: string };
    await stet.waitFor((e) => e.type === "attempt-started" && e.invocationId === invocationId);
    // Every write to the journal now fails as an I/O error would (a temporary trigger, gone with the connection).
    db.exec("CREATE TEMP TRIGGER simulated_io_error BEFORE INSERT ON journal BEGIN SELECT RAISE(ABORT, 'disk I/O error (simulated)'); END;");
    await stet.waitFor((e) => e.type === "attempt-failed" && e.invocationId === invocationId);
    expect(stet.node.partitions.getInvocation(invocationId)?.status).not.toBe("completed");
    expect((await fetch(`${stet.node.adminUrl}/health`)).status).toBe(200);
    db.exec("DROP TRIGGER simulated_io_error");
    const attached = await fetch(`${stet.node.ingressUrl}/restate/invocation/${invocationId}/attach`);
    expect(await attached.json()).toBe("ran");
  });
});
