import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { QueueItemError, QueueOptionsError, QueueSpillError } from "../../../invoker/queue-errors.js";
import {
  invokeRequestCodec,
  SegmentedQueue,
  type InvokeRequest,
  type SegmentedQueueOptions,
} from "../../../invoker/segmented-queue.js";

let dir: string;
let spillDir: string;
const queues: SegmentedQueue[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stet-queue-"));
  spillDir = join(dir, "spill");
});

afterEach(() => {
  for (const q of queues.splice(0)) q.close();
  rmSync(dir, { recursive: true, force: true });
});

function makeQueue(options: Partial<SegmentedQueueOptions> = {}): SegmentedQueue {
  const q = new SegmentedQueue({ spillDir, isLive: () => true, ...options });
  queues.push(q);
  return q;
}

function req(n: number, partition = n % 4, leaderEpoch = 1): InvokeRequest {
  return { partition, leaderEpoch, invocationId: `inv_${n}` };
}

function spillFiles(): string[] {
  return readdirSync(spillDir);
}

function drain(q: SegmentedQueue): InvokeRequest[] {
  const out: InvokeRequest[] = [];
  for (let item = q.shift(); item !== undefined; item = q.shift()) out.push(item);
  return out;
}

describe("SegmentedQueue", () => {
  it("keeps FIFO order across many spilled segments", () => {
    const q = makeQueue({ segmentSize: 64 });
    for (let i = 0; i < 10_000; i++) q.push(req(i));
    expect(q.length).toBe(10_000);
    expect(q.spilledSegmentCount).toBeGreaterThan(100);

    const ids = drain(q).map((r) => r.invocationId);
    expect(ids).toEqual(Array.from({ length: 10_000 }, (_, i) => `inv_${i}`));
    expect(q.isEmpty).toBe(true);
    expect(q.droppedCount).toBe(0);
  });

  it("round-trips every field through a spill file, including non-ASCII ids and large epochs", () => {
    const items: InvokeRequest[] = [
      { partition: 0, leaderEpoch: 1, invocationId: "" },
      { partition: 4_294_967_295, leaderEpoch: Number.MAX_SAFE_INTEGER, invocationId: "inv_ünïcødé_🚀" },
      { partition: 7, leaderEpoch: 3, invocationId: "x".repeat(1000) },
    ];
    expect(invokeRequestCodec.decode(invokeRequestCodec.encode(items))).toEqual(items);

    const q = makeQueue({ segmentSize: 1 });
    for (const item of items) q.push(item);
    expect(q.spilledSegmentCount).toBe(1);
    expect(drain(q)).toEqual(items);
  });

  it("holds at most two segments in memory while 100 000 items are queued", () => {
    const segmentSize = 128;
    const q = makeQueue({ segmentSize });
    let maxInMemory = 0;
    for (let i = 0; i < 100_000; i++) {
      q.push(req(i));
      maxInMemory = Math.max(maxInMemory, q.memoryItemCount);
    }
    expect(q.length).toBe(100_000);
    expect(maxInMemory).toBeLessThanOrEqual(2 * segmentSize);

    let next = 0;
    let outOfOrder = 0;
    for (let item = q.shift(); item !== undefined; item = q.shift()) {
      if (item.invocationId !== `inv_${next++}`) outOfOrder++;
      maxInMemory = Math.max(maxInMemory, q.memoryItemCount);
    }
    expect(next).toBe(100_000);
    expect(outOfOrder).toBe(0);
    expect(maxInMemory).toBeLessThanOrEqual(2 * segmentSize);
    expect(q.memoryItemCount).toBe(0);
  });

  it("has spill files while long and none after draining", () => {
    const q = makeQueue({ segmentSize: 10 });
    for (let i = 0; i < 20; i++) q.push(req(i));
    expect(spillFiles()).toEqual([]); // head and tail only: nothing in the middle yet
    for (let i = 20; i < 100; i++) q.push(req(i));
    expect(spillFiles().length).toBe(q.spilledSegmentCount);
    expect(q.spilledSegmentCount).toBe(8); // 100 items: head 10, 8 spilled, tail 10

    for (let i = 0; i < 50; i++) q.shift();
    expect(spillFiles().length).toBe(q.spilledSegmentCount);
    expect(q.spilledSegmentCount).toBe(4);

    drain(q);
    expect(spillFiles()).toEqual([]);
    expect(q.spilledSegmentCount).toBe(0);
  });

  it("handles pushes and shifts at segment boundaries", () => {
    const q = makeQueue({ segmentSize: 4 });
    const taken: string[] = [];
    const take = (): void => {
      const item = q.shift();
      if (item !== undefined) taken.push(item.invocationId);
    };
    let n = 0;
    const put = (count: number): void => {
      for (let i = 0; i < count; i++) q.push(req(n++));
    };

    // Empty queue: shift returns undefined, then the head catches up with the tail exactly.
    expect(q.shift()).toBeUndefined();
    put(4);
    for (let i = 0; i < 4; i++) take();
    expect(q.isEmpty).toBe(true);
    expect(q.shift()).toBeUndefined();

    // Push after the head caught up with the tail: writing resumes in memory.
    put(1);
    take();
    put(5); // fills one segment and opens a second
    for (let i = 0; i < 4; i++) take(); // head read to its end while the tail holds one item
    put(3); // the tail fills exactly
    put(1); // full tail with the reader caught up: it becomes the head, nothing spills
    expect(q.spilledSegmentCount).toBe(0);
    put(4); // full tail behind an unread head spills
    put(1);
    expect(q.spilledSegmentCount).toBe(1);

    // Alternate one push and one shift for a while, crossing many boundaries.
    for (let i = 0; i < 37; i++) {
      put(1);
      take();
    }
    for (let i = 0; i < 100; i++) take();

    expect(taken).toEqual(Array.from({ length: n }, (_, i) => `inv_${i}`));
    expect(q.length).toBe(0);
    expect(q.memoryItemCount).toBe(0);
  });

  it("matches a plain array under a random mix of pushes and shifts", () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const q = makeQueue({ segmentSize: 3 });
    const model: InvokeRequest[] = [];
    let n = 0;
    for (let step = 0; step < 5_000; step++) {
      if (random() < 0.55) {
        const item = req(n++);
        q.push(item);
        model.push(item);
      } else {
        expect(q.shift()).toEqual(model.shift());
      }
      expect(q.length).toBe(model.length);
      expect(q.memoryItemCount).toBeLessThanOrEqual(6);
    }
    expect(drain(q)).toEqual(model);
  });

  it("drops and counts items of partitions that are not live or at a stale epoch, spilled ones too", () => {
    const epochs = new Map<number, number>([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    const q = makeQueue({ segmentSize: 8, isLive: (p, e) => epochs.get(p) === e });
    for (let i = 0; i < 300; i++) q.push(req(i, i % 3, 1));
    expect(q.spilledSegmentCount).toBeGreaterThan(0);

    // Partition 1 steps down; partition 2 gets a new leader, so its queued epoch-1 items are stale.
    epochs.delete(1);
    epochs.set(2, 2);
    for (let i = 300; i < 330; i++) q.push(req(i, 2, 2));
    expect(q.length).toBe(330);

    const taken = drain(q);
    const expected = [
      ...Array.from({ length: 100 }, (_, k) => `inv_${3 * k}`),
      ...Array.from({ length: 30 }, (_, k) => `inv_${300 + k}`),
    ];
    expect(taken.map((r) => r.invocationId)).toEqual(expected);
    expect(q.droppedCount).toBe(200);
    expect(q.length).toBe(0);
    expect(spillFiles()).toEqual([]);
  });

  it("returns undefined without throwing when only dead items are left", () => {
    const q = makeQueue({ segmentSize: 2, isLive: () => false });
    for (let i = 0; i < 9; i++) q.push(req(i));
    expect(() => q.shift()).not.toThrow();
    expect(q.shift()).toBeUndefined();
    expect(q.droppedCount).toBe(9);
    expect(q.isEmpty).toBe(true);
  });

  it("clear() empties the queue, deletes spill files and does not count as dropped", () => {
    const q = makeQueue({ segmentSize: 4 });
    for (let i = 0; i < 50; i++) q.push(req(i));
    q.shift();
    expect(spillFiles().length).toBeGreaterThan(0);

    expect(q.clear()).toBe(49);
    expect(q.length).toBe(0);
    expect(q.memoryItemCount).toBe(0);
    expect(q.droppedCount).toBe(0);
    expect(spillFiles()).toEqual([]);
    expect(q.shift()).toBeUndefined();

    // Still usable afterwards.
    for (let i = 100; i < 120; i++) q.push(req(i));
    expect(drain(q).map((r) => r.invocationId)).toEqual(Array.from({ length: 20 }, (_, k) => `inv_${100 + k}`));
  });

  it("close() deletes spill files, is idempotent, and drops later pushes without throwing", () => {
    const q = makeQueue({ segmentSize: 4 });
    for (let i = 0; i < 50; i++) q.push(req(i));
    writeFileSync(join(spillDir, "unrelated.txt"), "kept");
    q.close();
    q.close();
    expect(spillFiles()).toEqual(["unrelated.txt"]);
    expect(q.length).toBe(0);

    expect(() => q.push(req(1))).not.toThrow();
    expect(q.droppedCount).toBe(1);
    expect(q.shift()).toBeUndefined();
  });

  it("removes stale spill files from a previous run on construction", () => {
    const previous = makeQueue({ segmentSize: 2 });
    for (let i = 0; i < 20; i++) previous.push(req(i));
    expect(spillFiles().length).toBeGreaterThan(0); // the previous run "crashed" without closing

    const q = makeQueue({ segmentSize: 2 });
    expect(spillFiles()).toEqual([]);
    expect(q.length).toBe(0);
  });

  it("creates a missing nested spill folder", () => {
    spillDir = join(dir, "a", "b", "c");
    const q = makeQueue({ segmentSize: 1 });
    for (let i = 0; i < 5; i++) q.push(req(i));
    expect(spillFiles().length).toBe(3);
  });

  it("reports a coded error for an unreadable spill file and keeps going", () => {
    const q = makeQueue({ segmentSize: 2 });
    for (let i = 0; i < 8; i++) q.push(req(i)); // head 0-1, spilled 2-3 and 4-5, tail 6-7
    const [first] = spillFiles().sort();
    writeFileSync(join(spillDir, first as string), Buffer.from([1, 2, 3]));

    expect([q.shift()?.invocationId, q.shift()?.invocationId]).toEqual(["inv_0", "inv_1"]);
    let error: unknown;
    try {
      q.shift();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QueueSpillError);
    expect((error as QueueSpillError).code).toBe("STET_QUEUE_SPILL_FAILED");
    expect((error as QueueSpillError).lostItems).toBe(2);
    expect(q.length).toBe(4);
    expect(drain(q).map((r) => r.invocationId)).toEqual(["inv_4", "inv_5", "inv_6", "inv_7"]);
  });

  it("refuses items the spill codec cannot write, at push time", () => {
    const q = makeQueue({ segmentSize: 1 });
    for (const bad of [
      { partition: -1, leaderEpoch: 1, invocationId: "inv_a" },
      { partition: 1, leaderEpoch: 0.5, invocationId: "inv_a" },
      { partition: 1, leaderEpoch: 1, invocationId: "inv_\uD800" },
    ]) {
      const error = (() => {
        try {
          q.push(bad);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(QueueItemError);
      expect((error as QueueItemError).code).toBe("STET_QUEUE_INVALID_ITEM");
    }
    expect(q.length).toBe(0);
  });

  it("rejects invalid options with one coded error listing every problem", () => {
    let error: unknown;
    try {
      new SegmentedQueue({ spillDir: "", segmentSize: 0, isLive: undefined as never });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(QueueOptionsError);
    expect((error as QueueOptionsError).code).toBe("STET_QUEUE_INVALID_OPTIONS");
    expect((error as QueueOptionsError).problems).toHaveLength(3);
  });
});
