import { afterEach, describe, expect, it } from "vitest";
import type { EffectFence, InvokerPort } from "../../../invoker/index.js";
import { PartitionSet, type HandlerInfo, type PartitionSetOptions, type ProcessorEvent } from "../../../partition/index.js";
import { openSqliteStorage } from "../../../sqlite/index.js";
import { partitionKeyOf, partitionOf, type InvocationId } from "../../../protocol/index.js";
import { tempDir } from "../../helpers/temp-dir.js";

class RecordingInvoker implements InvokerPort {
  readonly epochs = new Map<number, number>();
  readonly aborted: number[] = [];
  readonly enqueued: InvocationId[] = [];
  registerPartition(partition: number, leaderEpoch: number) {
    this.epochs.set(partition, leaderEpoch);
  }
  abortPartition(partition: number) {
    this.aborted.push(partition);
    this.epochs.delete(partition);
  }
  enqueue(request: { invocationId: InvocationId }) {
    this.enqueued.push(request.invocationId);
  }
  notify() {}
  abortInvocation() {}
}

const PLAIN: HandlerInfo = { serviceType: "SERVICE", handlerType: null, retentionMs: 60_000, maxAttempts: null, onMaxAttempts: "PAUSE" };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: Pick<PartitionSetOptions, "onError" | "onEvent"> = {}) {
  const dir = tempDir();
  const storage = openSqliteStorage(`${dir.path}/stet.db`);
  const set = new PartitionSet({
    store: storage.partitions,
    leases: storage.leases,
    partitionCount: 2,
    holder: "node-a",
    leaseTtlMs: 60_000,
    services: { resolve: () => PLAIN },
    ...options,
  });
  const invoker = new RecordingInvoker();
  await set.start(invoker);
  cleanups.push(() => dir.remove(), () => storage.close(), () => set.close());
  return { set, invoker };
}

/** Invokes until one invocation lands in each of the two partitions. */
async function onePerPartition(set: PartitionSet): Promise<[InvocationId, InvocationId]> {
  const found: Array<InvocationId | undefined> = [undefined, undefined];
  while (found.includes(undefined)) {
    const { invocationId: id } = await set.invoke({ target: { service: "Svc", handler: "h", key: "" }, handler: PLAIN, body: new Uint8Array(), headers: [] });
    found[partitionOf(partitionKeyOf(id), 2)] ??= id;
  }
  return found as [InvocationId, InvocationId];
}

const fence = (invoker: RecordingInvoker, partition: number, invocationId: InvocationId): EffectFence => ({
  partition,
  leaderEpoch: invoker.epochs.get(partition) ?? -1,
  invocationId,
  attempt: 0,
});

describe("partition isolation", () => {
  it("stepping one partition down leaves the other partition's invocation running to completion", async () => {
    const { set, invoker } = await setup();
    const [inP0, inP1] = await onePerPartition(set);
    const fenceP0 = fence(invoker, 0, inP0);
    const fenceP1 = fence(invoker, 1, inP1);

    await set.stepDown(0, "test");
    expect(invoker.aborted).toEqual([0]);
    expect(set.processor(0)?.isLeader).toBe(false);
    expect(set.processor(1)?.isLeader).toBe(true);

    // Partition 0's attempt is fenced off; partition 1 keeps applying and completes its invocation.
    await expect(set.propose({ kind: "journal", fence: fenceP0, entries: [] })).resolves.toEqual({ applied: false });
    const done = set.awaitCompletion(inP1);
    await expect(
      set.propose({ kind: "end", fence: fenceP1, result: { kind: "value", value: new TextEncoder().encode('"ok"') } }),
    ).resolves.toEqual({ applied: true });
    await expect(done).resolves.toMatchObject({ kind: "value" });
    expect(set.getInvocation(inP1)?.status).toBe("completed");
    expect(set.getInvocation(inP0)?.status).toBe("invoked");

    // Leading again takes a new lease with a higher epoch.
    expect(await set.lead(0)).toBe(true);
    const newEpoch = invoker.epochs.get(0)!;
    expect(newEpoch).toBeGreaterThan(fenceP0.leaderEpoch);
    // The new leader re-feeds the unfinished invocation, and the old epoch's effects stay fenced.
    expect(invoker.enqueued.filter((id) => id === inP0)).toHaveLength(2);
    await expect(set.propose({ kind: "journal", fence: fenceP0, entries: [] })).resolves.toEqual({ applied: false });
    await expect(
      set.propose({ kind: "end", fence: { ...fenceP0, leaderEpoch: newEpoch }, result: { kind: "value", value: new Uint8Array() } }),
    ).resolves.toEqual({ applied: true });
  });

  it("rejects a new invocation for a partition it does not lead", async () => {
    const { set } = await setup();
    await set.stepDown(0, "test");
    await set.stepDown(1, "test");
    await expect(
      set.invoke({ target: { service: "Svc", handler: "h", key: "" }, handler: PLAIN, body: new Uint8Array(), headers: [] }),
    ).rejects.toMatchObject({ code: "STET_PARTITION_NOT_LEADER", status: 503 });
  });

  it("delivers an outbox message to a partition that does not lead yet once it leads, without reporting an error", async () => {
    const errors: Error[] = [];
    const events: ProcessorEvent[] = [];
    const { set } = await setup({ onError: (error) => errors.push(error), onEvent: (event) => events.push(event) });
    const [, inP1] = await onePerPartition(set);
    // As after a restart: nothing leads yet, and partition 0's outbox holds a message for partition 1.
    await set.stepDown(0, "test");
    await set.stepDown(1, "test");
    const seq = set.store.outbox.add(0, 1, JSON.stringify({ kind: "kill", invocationId: inP1 }));

    // Partition 0 leads first and re-delivers its outbox: the message waits for partition 1.
    expect(await set.lead(0)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toContainEqual({ type: "delivery-awaits-leader", partition: 1, seq });
    expect(set.getInvocation(inP1)?.status).toBe("invoked");

    const outcome = set.awaitCompletion(inP1);
    expect(await set.lead(1)).toBe(true);
    await expect(outcome).resolves.toMatchObject({ kind: "failure" });
    expect(set.store.outbox.pending(0)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("fences effects of an attempt after that attempt's failure was recorded", async () => {
    const { set, invoker } = await setup();
    const [id] = await onePerPartition(set);
    const f = fence(invoker, 0, id);
    await expect(set.propose({ kind: "attempt-failed", fence: f, failure: "boom" })).resolves.toEqual({ applied: true });
    await expect(set.propose({ kind: "journal", fence: f, entries: [] })).resolves.toEqual({ applied: false });
    await expect(set.propose({ kind: "journal", fence: { ...f, attempt: 1 }, entries: [] })).resolves.toEqual({ applied: true });
    expect(set.getInvocation(id)).toMatchObject({ retryCount: 1, lastFailure: "boom", status: "invoked" });
  });
});
