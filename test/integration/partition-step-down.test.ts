import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { openDatabase, SqliteLeaseStore } from "../../sqlite/index.js";
import { partitionKeyOf, partitionOf, type InvocationId } from "../../protocol/index.js";
import { useStetWithServices } from "../helpers/stet-with-services.js";

const setup = useStetWithServices();

const napper = restate.service({
  name: "Napper",
  handlers: {
    nap: async (ctx: restate.Context, ms: number) => {
      await ctx.sleep(ms);
      return "done";
    },
  },
});

const PARTITIONS = 4;

async function sendNaps(stet: Awaited<ReturnType<typeof setup>>, count: number, ms: number): Promise<InvocationId[]> {
  const ids: InvocationId[] = [];
  for (let i = 0; i < count; i++) {
    const res = await stet.call("/Napper/nap/send", ms);
    ids.push(((await res.json()) as { invocationId: InvocationId }).invocationId);
  }
  return ids;
}

const partitionOfId = (id: InvocationId) => partitionOf(partitionKeyOf(id), PARTITIONS);
const status = (stet: Awaited<ReturnType<typeof setup>>, id: InvocationId) => stet.node.partitions.getInvocation(id)?.status;

describe("one partition stepping down", () => {
  it("stops only that partition's work, drops its queued requests without error, and resumes when it leads again", async () => {
    // A long lease: the node retries leading what it does not lead every half lease, which would take the
    // stepped-down partition back while the test waits on a loaded machine.
    const stet = await setup([napper], { partitions: PARTITIONS, leaseTtlMs: 120_000 });
    // Naps long enough that none of the stepped-down partition's invocations finishes before the step-down.
    const ids = await sendNaps(stet, 24, 2500);
    const down = partitionOfId(ids.at(-1)!);
    // On a loaded machine the first naps may be over before the last is sent: judge only those still going.
    const inDown = ids.filter((id) => partitionOfId(id) === down && status(stet, id) !== "completed");
    const others = ids.filter((id) => partitionOfId(id) !== down);
    expect(others.length).toBeGreaterThan(0);
    expect(inDown.length).toBeGreaterThan(0);

    await stet.node.partitions.stepDown(down, "test");
    expect(stet.node.partitions.processor(down)!.isLeader).toBe(false);
    // Work of the other partitions finishes; invocations of the stepped-down one make no progress.
    for (const id of others) {
      const res = await fetch(`${stet.node.ingressUrl}/restate/invocation/${id}/attach`);
      expect(await res.json()).toBe("done");
    }
    for (const id of inDown) expect(status(stet, id)).not.toBe("completed");
    // The invoker keeps running for the others; anything it still had queued for the partition was dropped, not failed.
    expect(stet.node.invoker.state).toBe("running");

    expect(await stet.node.partitions.lead(down)).toBe(true);
    for (const id of inDown) {
      const res = await fetch(`${stet.node.ingressUrl}/restate/invocation/${id}/attach`);
      expect(await res.json()).toBe("done");
    }
  });

  it("steps down when another holder takes the lease, and leads again once that lease expires", async () => {
    const stet = await setup([napper], { partitions: PARTITIONS, leaseTtlMs: 600 });
    // Long enough that the target partition's naps are still pending when its lease is taken.
    const ids = await sendNaps(stet, 8, 1500);
    const target = partitionOfId(ids[0]!);
    // Another node, on a connection of its own, whose clock runs ahead by more than our lease (600 ms):
    // it finds our lease expired and takes the partition.
    const other = openDatabase(stet.node.dataDir.dbFile);
    const ahead = new SqliteLeaseStore(other, { now: () => Date.now() + 700 });
    const [stolen] = await ahead.acquire([target], "other-node", 1500);
    other.close();
    expect(stolen?.holder).toBe("other-node");

    // Our keeper notices at its next renewal and steps the partition down.
    const deadline = Date.now() + 10_000;
    while (stet.node.partitions.processor(target)!.isLeader && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(stet.node.partitions.processor(target)!.isLeader).toBe(false);

    // After the other holder's lease runs out, this node leads again with a higher epoch and finishes the work.
    for (const id of ids) {
      const res = await fetch(`${stet.node.ingressUrl}/restate/invocation/${id}/attach`);
      expect(await res.json()).toBe("done");
    }
    const relead = Date.now() + 10_000;
    while (!stet.node.partitions.processor(target)!.isLeader && Date.now() < relead) await new Promise((r) => setTimeout(r, 20));
    expect(stet.node.partitions.processor(target)!.epoch ?? 0).toBeGreaterThan(stolen!.epoch);
  });
});
