import { afterEach, describe, expect, it, vi } from "vitest";
import { runAttempt } from "../../../invoker/attempt-runner.js";
import { failureCode } from "../../../invoker/failure-code.js";
import { Invoker } from "../../../invoker/index.js";
import type { AttemptInput, DeploymentPin, Effect, EffectOutcome } from "../../../invoker/ports.js";
import type { AttemptStream, DeploymentTarget, StreamResponse, Transport } from "../../../invoker/transport/transport.js";
import {
  ErrorMessageSchema,
  MessageType,
  OutputCommandMessageSchema,
  ProposeRunCompletionMessageSchema,
  create,
  encodeFrame,
  newInvocationId,
  randomPartitionKey,
  toBinary,
  type InvocationId,
} from "../../../protocol/index.js";
import { tempDir } from "../../helpers/temp-dir.js";

// Deployment pinning in the invoker: which version an attempt speaks, which effect carries the pin, and
// how an attempt of an invocation pinned to a removed deployment fails.

const RUN = encodeFrame(MessageType.RunCommand, new Uint8Array());
const PROPOSE_RUN = encodeFrame(
  MessageType.ProposeRunCompletion,
  toBinary(ProposeRunCompletionMessageSchema, create(ProposeRunCompletionMessageSchema, { resultCompletionId: 1, result: { case: "value", value: new Uint8Array([1]) } })),
);
const OUTPUT = encodeFrame(
  MessageType.OutputCommand,
  toBinary(OutputCommandMessageSchema, create(OutputCommandMessageSchema, { result: { case: "value", value: { content: new Uint8Array([49]) } } })),
);
const END = encodeFrame(MessageType.End, new Uint8Array());
const ERROR = encodeFrame(MessageType.Error, toBinary(ErrorMessageSchema, create(ErrorMessageSchema, { code: 500, message: "boom" })));

/** A deployment that answers every stream with `frames`, in the content type it was asked for; records that type. */
class ScriptedTransport implements Transport {
  readonly asked: string[] = [];
  constructor(private readonly frames: Uint8Array[]) {}
  open(_target: DeploymentTarget, _path: string, headers: Record<string, string>): AttemptStream {
    const contentType = headers["content-type"]!;
    this.asked.push(contentType);
    const frames = this.frames;
    const response: StreamResponse = { status: 200, headers: { "content-type": contentType } };
    return {
      response: Promise.resolve(response),
      chunks: {
        async *[Symbol.asyncIterator]() {
          for (const f of frames) yield f;
        },
      },
      writable: true,
      write: () => {},
      end: () => {},
      drain: () => {},
      abort: () => {},
    };
  }
  async close() {}
  destroy() {}
}

const TARGET: DeploymentTarget = { id: "dp_1new", uri: "http://127.0.0.1:1", httpVersion: 2, additionalHeaders: {}, minProtocolVersion: 5, maxProtocolVersion: 6 };

function input(pinned?: DeploymentPin): AttemptInput {
  return {
    invocationId: newInvocationId(randomPartitionKey()),
    service: "Svc",
    handler: "h",
    key: "",
    retryCount: 0,
    journal: [],
    state: { entries: [], partial: true },
    ...(pinned === undefined ? {} : { pinned }),
  };
}

async function attempt(frames: Uint8Array[], pinnedProtocolVersion?: number) {
  const effects: Effect[] = [];
  const transport = new ScriptedTransport(frames);
  const subject = input();
  const outcome = await runAttempt({
    fence: { partition: 0, leaderEpoch: 1, invocationId: subject.invocationId, attempt: 0 },
    input: subject,
    target: TARGET,
    transport,
    sink: { propose: async (effect) => (effects.push(effect), { applied: true }) },
    signal: new AbortController().signal,
    maxProtocolVersion: 6,
    ...(pinnedProtocolVersion === undefined ? {} : { pinnedProtocolVersion }),
  });
  const pins = effects.map((e) => (e.kind === "journal" || e.kind === "run-completion" ? (e.pin ?? null) : null));
  return { outcome, effects, pins, asked: transport.asked };
}

describe("an attempt of an invocation not pinned yet", () => {
  it("negotiates the version and pins its deployment with its first journal write, once", async () => {
    const { outcome, effects, pins, asked } = await attempt([RUN, PROPOSE_RUN, OUTPUT, END]);
    expect(outcome).toEqual({ kind: "ended" });
    expect(asked).toEqual(["application/vnd.restate.invocation.v6"]);
    expect(effects.map((e) => e.kind)).toEqual(["journal", "run-completion", "journal", "end"]);
    expect(pins).toEqual([{ deploymentId: "dp_1new", protocolVersion: 6 }, null, null, null]);
  });

  it("pins with a run's result when that is the first thing it writes", async () => {
    const { pins } = await attempt([PROPOSE_RUN, OUTPUT, END]);
    expect(pins).toEqual([{ deploymentId: "dp_1new", protocolVersion: 6 }, null, null]);
  });

  it("leaves the invocation unpinned when it fails before writing anything", async () => {
    const { outcome, effects } = await attempt([ERROR]);
    expect(outcome).toMatchObject({ kind: "failed", failure: "[500] boom" });
    expect(effects).toEqual([]);
  });
});

describe("an attempt of a pinned invocation", () => {
  it("speaks the pinned version, whatever the deployment's range, and pins nothing again", async () => {
    const { outcome, pins, asked } = await attempt([RUN, OUTPUT, END], 5);
    expect(outcome).toEqual({ kind: "ended" });
    expect(asked).toEqual(["application/vnd.restate.invocation.v5"]);
    expect(pins).toEqual([null, null, null]);
  });

  it("fails without opening a stream when stet no longer speaks the pinned version", async () => {
    const { outcome, asked } = await attempt([RUN, OUTPUT, END], 7);
    expect(outcome.kind).toBe("failed");
    expect(failureCode((outcome as { failure: string }).failure)).toBe("protocol_version");
    expect(asked).toEqual([]);
  });
});

describe("the invoker", () => {
  const dirs: Array<{ remove(): void }> = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

  it("resolves a pinned invocation's target on its deployment, and fails its attempt when that deployment is gone", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const asked: Array<string | undefined> = [];
    const failures: string[] = [];
    const transport = new ScriptedTransport([RUN, OUTPUT, END]);
    const pinned: DeploymentPin = { deploymentId: "dp_1gone", protocolVersion: 6 };
    const invoker = new Invoker({
      spillDir: dir.path,
      sink: {
        propose: async (effect): Promise<EffectOutcome> => {
          if (effect.kind === "attempt-failed") failures.push(effect.failure);
          // The first failure pauses it: one attempt is enough here.
          return effect.kind === "attempt-failed" ? { applied: true, exhausted: true } : { applied: true };
        },
      },
      journal: { loadAttemptInput: (id: InvocationId): AttemptInput => ({ ...input(pinned), invocationId: id }) },
      resolveTarget: (_service, _handler, pinnedDeploymentId) => {
        asked.push(pinnedDeploymentId);
        return undefined;
      },
      transports: { http1: transport, http2: transport },
    });
    invoker.registerPartition(0, 1);
    invoker.enqueue({ partition: 0, leaderEpoch: 1, invocationId: newInvocationId(randomPartitionKey()) });
    await vi.waitFor(() => expect(failures).toHaveLength(1));
    expect(asked).toEqual(["dp_1gone"]);
    expect(failures[0]).toContain("dp_1gone");
    expect(failureCode(failures[0]!)).toBe("deployment_gone");
    expect(transport.asked).toEqual([]);
    await invoker.destroy();
  });
});
