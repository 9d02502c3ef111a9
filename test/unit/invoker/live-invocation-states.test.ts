import { afterEach, describe, expect, it, vi } from "vitest";
import { Invoker } from "../../../invoker/index.js";
import type { AttemptInput, EffectOutcome } from "../../../invoker/ports.js";
import type { AttemptStream, StreamResponse, Transport } from "../../../invoker/transport/transport.js";
import {
  MessageType,
  OutputCommandMessageSchema,
  contentTypeFor,
  create,
  encodeFrame,
  newInvocationId,
  randomPartitionKey,
  toBinary,
  type InvocationId,
} from "../../../protocol/index.js";
import { tempDir } from "../../helpers/temp-dir.js";

// The invoker's live view of the invocations it holds (what `sys_invocation_state` shows), driven by a
// fake deployment whose behaviour each test picks per handler.

type Behaviour = "hang" | "answer-then-hang" | "fail-500" | "end";

const SERVER = "restate-sdk-typescript/9.9.9";

class ScriptedTransport implements Transport {
  open(_target: unknown, path: string): AttemptStream {
    const behaviour = path.split("/").pop() as Behaviour;
    let cut: (e: Error) => void = () => {};
    const aborted = new Promise<never>((_, reject) => (cut = reject));
    aborted.catch(() => {});
    const ok: StreamResponse = { status: 200, headers: { "content-type": contentTypeFor(6), "x-restate-server": SERVER } };
    const response: Promise<StreamResponse> =
      behaviour === "hang" ? aborted : Promise.resolve(behaviour === "fail-500" ? { status: 500, headers: {} } : ok);
    return {
      response,
      chunks: {
        async *[Symbol.asyncIterator]() {
          if (behaviour === "end") {
            const output = create(OutputCommandMessageSchema, { result: { case: "value", value: { content: new Uint8Array([49]) } } });
            yield encodeFrame(MessageType.OutputCommand, toBinary(OutputCommandMessageSchema, output));
            yield encodeFrame(MessageType.End, new Uint8Array());
            return;
          }
          await aborted;
        },
      },
      writable: true,
      write: () => {},
      end: () => {},
      drain: () => {},
      abort: (reason) => cut(reason),
    };
  }
  async close() {}
  destroy() {}
}

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  dirs.splice(0).forEach((d) => d.remove());
  vi.useRealTimers();
});

function makeInvoker(storedRetryCount = 0) {
  const dir = tempDir();
  dirs.push(dir);
  const handlers = new Map<InvocationId, Behaviour>();
  const transport = new ScriptedTransport();
  const invoker = new Invoker({
    spillDir: dir.path,
    sink: { propose: async (): Promise<EffectOutcome> => ({ applied: true }) },
    journal: {
      loadAttemptInput: (id: InvocationId): AttemptInput => ({
        invocationId: id,
        service: "Svc",
        handler: handlers.get(id) ?? "hang",
        key: "",
        retryCount: storedRetryCount,
        journal: [],
        state: { entries: [], partial: true },
      }),
    },
    resolveTarget: () => ({
      target: { id: "dp_test", uri: "http://127.0.0.1:1", httpVersion: 2, additionalHeaders: {}, minProtocolVersion: 5, maxProtocolVersion: 6 },
      retryPolicy: { initialIntervalMs: 60_000, factor: 2, maxIntervalMs: 60_000 },
      inactivityTimeoutMs: 0,
      abortTimeoutMs: 0,
    }),
    transports: { http1: transport, http2: transport },
  });
  invoker.registerPartition(0, 1);
  const start = (behaviour: Behaviour): InvocationId => {
    const id = newInvocationId(randomPartitionKey());
    handlers.set(id, behaviour);
    invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: id });
    return id;
  };
  const stateOf = (id: InvocationId) => invoker.liveInvocationStates().find((s) => s.id === id);
  return { invoker, start, stateOf };
}

describe("the invoker's live invocation states", () => {
  it("shows a running attempt as in flight, counting it as Restate does, with its deployment", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { invoker, start, stateOf } = makeInvoker();
    const startedAt = Date.now();
    const id = start("hang");
    await vi.advanceTimersByTimeAsync(10);
    expect(stateOf(id)).toEqual({
      id,
      inFlight: true,
      retryCount: 1,
      lastStartAt: startedAt,
      nextRetryAt: null,
      lastAttemptDeploymentId: "dp_test",
      lastAttemptServer: null,
      lastFailure: null,
      lastFailureErrorCode: null,
    });
    await invoker.destroy();
  });

  it("names the SDK of the deployment that answered (its x-restate-server header)", async () => {
    const { invoker, start, stateOf } = makeInvoker();
    const id = start("answer-then-hang");
    await vi.waitFor(() => expect(stateOf(id)?.lastAttemptServer).toBe(SERVER));
    expect(stateOf(id)?.inFlight).toBe(true);
    await invoker.destroy();
  });

  it("shows a failed attempt backing off: not in flight, its failure, and when the next attempt is due", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { invoker, start, stateOf } = makeInvoker();
    const failedAt = Date.now();
    const id = start("fail-500");
    await vi.advanceTimersByTimeAsync(10);
    expect(stateOf(id)).toMatchObject({
      inFlight: false,
      retryCount: 1,
      nextRetryAt: failedAt + 60_000,
      lastFailure: "deployment answered HTTP 500 to the invocation request",
      lastFailureErrorCode: "http_500",
      lastAttemptDeploymentId: "dp_test",
    });
    expect(stateOf(id)!.nextRetryAt!).toBeGreaterThan(Date.now());

    // The retry starts when due: in flight again, counted, the last failure kept until another one.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(stateOf(id)).toMatchObject({ retryCount: 2, nextRetryAt: failedAt + 60_000 + 60_000, lastFailureErrorCode: "http_500" });
    await invoker.destroy();
  });

  it("counts on from the retry count the partition stored (attempts of earlier runs)", async () => {
    const { invoker, start, stateOf } = makeInvoker(3);
    const id = start("hang");
    await vi.waitFor(() => expect(stateOf(id)).toMatchObject({ inFlight: true, retryCount: 4 }));
    await invoker.destroy();
  });

  it("drops an invocation that ended from the snapshot", async () => {
    const { invoker, start, stateOf } = makeInvoker();
    const running = start("hang");
    const done = start("end");
    await vi.waitFor(() => expect(invoker.liveCount).toBe(1));
    expect(stateOf(done)).toBeUndefined();
    expect(invoker.liveInvocationStates().map((s) => s.id)).toEqual([running]);
    await invoker.destroy();
    expect(invoker.liveInvocationStates()).toEqual([]);
  });
});
