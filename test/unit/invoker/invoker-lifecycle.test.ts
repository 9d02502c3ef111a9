import { afterEach, describe, expect, it, vi } from "vitest";
import { Invoker, type InvokerEvent, type InvokerState } from "../../../invoker/index.js";
import type { AttemptInput, Effect, EffectOutcome } from "../../../invoker/ports.js";
import type { AttemptStream, Transport } from "../../../invoker/transport/transport.js";
import { contentTypeFor, newInvocationId, randomPartitionKey, type InvocationId } from "../../../protocol/index.js";
import { tempDir } from "../../helpers/temp-dir.js";

/** A deployment that accepts streams and never answers: attempts stay live until aborted. */
class HangingTransport implements Transport {
  readonly opened: string[] = [];
  readonly aborted: string[] = [];
  open(_target: unknown, path: string, _headers: Record<string, string>): AttemptStream {
    this.opened.push(path);
    let fail: (e: Error) => void = () => {};
    const response = new Promise<never>((_, reject) => (fail = reject));
    response.catch(() => {});
    return {
      response,
      chunks: { async *[Symbol.asyncIterator]() {} },
      writable: true,
      write: () => {},
      end: () => {},
      drain: () => {},
      abort: (reason) => {
        this.aborted.push(path);
        fail(reason);
      },
    };
  }
  async close() {}
  destroy() {}
}

/** A deployment that answers 200 at once and sends its first bytes only when the test says so. */
class AnsweringTransport implements Transport {
  readonly opened: string[] = [];
  readonly #speak = new Map<string, () => void>();
  open(_target: unknown, path: string, _headers: Record<string, string>): AttemptStream {
    this.opened.push(path);
    let speak: () => void = () => {};
    const spoke = new Promise<void>((resolve) => (speak = resolve));
    this.#speak.set(path, speak);
    let fail: (e: Error) => void = () => {};
    const aborted = new Promise<never>((_, reject) => (fail = reject));
    aborted.catch(() => {});
    return {
      response: Promise.resolve({ status: 200, headers: { "content-type": contentTypeFor(6) } }),
      chunks: {
        async *[Symbol.asyncIterator]() {
          await Promise.race([spoke, aborted]);
          // A frame header whose type no message has: the attempt fails after its first bytes.
          yield new Uint8Array([0xff, 0xff, 0, 0, 0, 0, 0, 0]);
        },
      },
      writable: true,
      write: () => {},
      end: () => {},
      drain: () => {},
      abort: (reason) => fail(reason),
    };
  }
  /** The deployment sends the first bytes of its answer on the stream of `path`. */
  speak(path: string): void {
    this.#speak.get(path)?.();
  }
  async close() {}
  destroy() {}
}

const dirs: Array<{ remove(): void }> = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

function makeInvoker<T extends Transport = HangingTransport>(
  concurrency: number,
  starts: { startConcurrency?: number; slowStartMs?: number; transport?: T } = {},
) {
  const dir = tempDir();
  dirs.push(dir);
  const transport = starts.transport ?? (new HangingTransport() as Transport as T);
  const effects: Effect[] = [];
  const events: InvokerEvent[] = [];
  const reads: string[] = [];
  const invoker = new Invoker({
    spillDir: dir.path,
    concurrency,
    startConcurrency: starts.startConcurrency,
    slowStartMs: starts.slowStartMs,
    sink: { propose: async (e: Effect): Promise<EffectOutcome> => (effects.push(e), { applied: true }) },
    journal: {
      loadAttemptInput: (id: InvocationId): AttemptInput => (reads.push(labels.get(id) ?? "?"), {
        invocationId: id,
        service: "Svc",
        // The handler name carries the test's label so the transport's log shows which invocation ran.
        handler: labels.get(id) ?? "?",
        key: "",
        retryCount: 0,
        journal: [],
        state: { entries: [], partial: true },
      }),
    },
    resolveTarget: () => ({
      target: { uri: "http://127.0.0.1:1", httpVersion: 2, additionalHeaders: {}, minProtocolVersion: 5, maxProtocolVersion: 6 },
      retryPolicy: { initialIntervalMs: 60_000, factor: 2, maxIntervalMs: 60_000 },
      inactivityTimeoutMs: 0,
      abortTimeoutMs: 0,
    }),
    transports: { http1: transport, http2: transport },
    drainTimeoutMs: 1000,
    onEvent: (e) => events.push(e),
  });
  return { invoker, transport, effects, events, reads };
}

const tick = () => new Promise((r) => setTimeout(r, 5));
const labels = new Map<InvocationId, string>();
const ids = new Map<string, InvocationId>();
/** A real invocation id per test label, so the Start message can be built. */
const id = (label: string): InvocationId => {
  let found = ids.get(label);
  if (found === undefined) {
    found = newInvocationId(randomPartitionKey());
    ids.set(label, found);
    labels.set(found, label);
  }
  return found;
};

describe("invoker lifecycle", () => {
  it("goes running → draining → aborting → closed and drops queued requests of an aborted partition without error", async () => {
    const { invoker, transport, events } = makeInvoker(1);
    invoker.registerPartition(0, 1);
    invoker.registerPartition(1, 1);
    invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: id("a1") });
    invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: id("a2") });
    invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: id("a3") });
    invoker.enqueue({ partition: 1, leaderEpoch: 1, invocationId: id("b1") });
    await tick();
    expect(invoker.liveCount).toBe(1);
    expect(transport.opened).toEqual(["/invoke/Svc/a1"]);

    // Aborting partition 0 ends its live attempt; its queued requests are left in the queue for now.
    invoker.abortPartition(0);
    await tick();
    expect(new Set(transport.aborted)).toEqual(new Set(["/invoke/Svc/a1"]));
    // The next dequeues skip a2 and a3 (dropped, counted) and start b1.
    expect(transport.opened).toEqual(["/invoke/Svc/a1", "/invoke/Svc/b1"]);
    expect(invoker.droppedCount).toBe(2);

    // Leftovers for the aborted partition, enqueued late, are dropped too when shutdown drains the queue.
    invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: id("a4") });
    invoker.enqueue({ partition: 1, leaderEpoch: 1, invocationId: id("b2") });
    await expect(invoker.close()).resolves.toBeUndefined();
    const states = events.filter((e) => e.type === "state").map((e) => (e as { state: InvokerState }).state);
    expect(states).toEqual(["running", "draining", "aborting", "closed"]);
    expect(invoker.state).toBe("closed");
    expect(invoker.liveCount).toBe(0);
    expect(transport.opened).not.toContain("/invoke/Svc/a4");
  });

  it("reads an invocation's journal once to take it from the queue and run its first attempt", async () => {
    const { invoker, transport, reads } = makeInvoker(4);
    invoker.registerPartition(0, 1);
    invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: id("once") });
    await tick();
    expect(transport.opened).toEqual(["/invoke/Svc/once"]);
    expect(reads).toEqual(["once"]);
    await invoker.destroy();
  });

  it("starts a new invocation only while fewer than startConcurrency wait for their deployment's first answer", async () => {
    const transport = new AnsweringTransport();
    const { invoker } = makeInvoker(100, { startConcurrency: 2, transport });
    invoker.registerPartition(0, 1);
    for (const label of ["s1", "s2", "s3", "s4", "s5"]) invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: id(label) });
    await tick();
    expect(transport.opened).toEqual(["/invoke/Svc/s1", "/invoke/Svc/s2"]);
    // s1's deployment answers: its start slot goes to s3. The attempt then fails (and waits to retry).
    transport.speak("/invoke/Svc/s1");
    await tick();
    expect(transport.opened).toEqual(["/invoke/Svc/s1", "/invoke/Svc/s2", "/invoke/Svc/s3"]);
    transport.speak("/invoke/Svc/s3");
    transport.speak("/invoke/Svc/s2");
    await tick();
    expect(transport.opened).toHaveLength(5);
    // Answered invocations stay live (retrying) under `concurrency`: no slot is given twice.
    expect(invoker.liveCount).toBe(5);
    await invoker.destroy();
  });

  it("stops counting an unanswered start after slowStartMs, so a hanging deployment cannot stall the queue", async () => {
    const { invoker, transport } = makeInvoker(100, { startConcurrency: 2, slowStartMs: 300 });
    invoker.registerPartition(0, 1);
    for (const label of ["h1", "h2", "h3", "h4", "h5"]) invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: id(label) });
    await tick();
    expect(transport.opened).toEqual(["/invoke/Svc/h1", "/invoke/Svc/h2"]);
    // None of them ever answers; each slow start frees its slot, so all five start in the end (how many
    // at a time depends on the timers, which a loaded machine delays).
    await expect.poll(() => transport.opened.length, { timeout: 10_000 }).toBe(5);
    expect(transport.opened).toEqual(["h1", "h2", "h3", "h4", "h5"].map((l) => `/invoke/Svc/${l}`));
    expect(invoker.liveCount).toBe(5);
    await invoker.destroy();
  });

  it("takes nothing after close and stays closed on repeated calls", async () => {
    const { invoker, transport } = makeInvoker(4);
    invoker.registerPartition(0, 1);
    await invoker.close();
    invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: id("late") });
    await tick();
    expect(transport.opened).toEqual([]);
    await invoker.close();
    await invoker.destroy();
    expect(invoker.state).toBe("closed");
  });

  it("drops requests stamped with a stale leader epoch", async () => {
    const { invoker, transport } = makeInvoker(4);
    invoker.registerPartition(0, 2);
    invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: id("old") });
    invoker.enqueue({ partition: 0, leaderEpoch: 2, invocationId: id("new") });
    await tick();
    expect(transport.opened).toEqual(["/invoke/Svc/new"]);
    expect(invoker.droppedCount).toBe(1);
    await invoker.destroy();
  });

  it("reports an attempt silent for a minute (by the invoker's clock), naming its invocation, target and attempt", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const { invoker, events } = makeInvoker(4);
      invoker.registerPartition(0, 1);
      invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: id("quiet") });
      await vi.advanceTimersByTimeAsync(59_000);
      expect(events.filter((e) => e.type === "attempt-started")).toHaveLength(1);
      expect(events.filter((e) => e.type === "attempt-silent")).toEqual([]);
      await vi.advanceTimersByTimeAsync(1_000);
      // The deployment never answered: there is no stream to ask to suspend yet, so stet waits.
      expect(events.filter((e) => e.type === "attempt-silent")).toEqual([
        { type: "attempt-silent", invocationId: id("quiet"), target: "Svc/quiet", attempt: 0, silentMs: 60_000, next: "waiting" },
      ]);
      await invoker.destroy();
    } finally {
      vi.useRealTimers();
    }
  });

  it("aborts live attempts when destroyed", async () => {
    const { invoker, transport } = makeInvoker(4);
    invoker.registerPartition(0, 1);
    invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: id("x") });
    await tick();
    await invoker.destroy();
    expect(new Set(transport.aborted)).toEqual(new Set(["/invoke/Svc/x"]));
    expect(invoker.state).toBe("closed");
  });
});
