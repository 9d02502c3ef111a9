import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  ErrorMessageSchema,
  FrameDecoder,
  MessageType,
  OutputCommandMessageSchema,
  ProposeRunCompletionAckMessageSchema,
  ProposeRunCompletionMessageSchema,
  RunCompletionNotificationMessageSchema,
  StartMessageSchema,
  contentTypeFor,
  encodeFrame,
  frameFromRaw,
  invocationIdToBytes,
  isSupportedProtocolVersion,
  isCommand,
  isCustom,
  messageTypeName,
  negotiateVersion,
  parseContentTypeVersion,
  type ProtocolVersion,
  awaitedBySuspension,
  type AwaitedIds,
  type Frame,
} from "../protocol/index.js";
import { toError } from "../protocol/errors.js";
import type { AttemptInput, DeploymentPin, EffectFence, EffectOutcome, EffectSink, InvocationResult, JournalFrame } from "./ports.js";
import type { DeploymentTarget, Transport } from "./transport/transport.js";
import type { SilentAttemptAction } from "./invoker-events.js";
import { SilenceWatch } from "./silence-watch.js";

export type AttemptOutcome =
  | { readonly kind: "ended" }
  | { readonly kind: "suspended" }
  /** The partition no longer accepts this attempt's effects (stale attempt or leader). */
  | { readonly kind: "fenced" }
  | { readonly kind: "failed"; readonly failure: string; readonly retryAfterMs?: number };

export interface AttemptRun {
  readonly fence: EffectFence;
  readonly input: AttemptInput;
  readonly target: DeploymentTarget;
  readonly transport: Transport;
  readonly sink: EffectSink;
  /** Aborted when the invoker stops or aborts the attempt; the stream is cut at once. */
  readonly signal: AbortSignal;
  /** The highest service protocol version stet speaks. */
  readonly maxProtocolVersion: ProtocolVersion;
  /**
   * The version the invocation is pinned to; the attempt speaks it instead of negotiating. Without it the
   * attempt negotiates, and its first journal write pins the invocation to `target` and that version.
   */
  readonly pinnedProtocolVersion?: number;
  /**
   * Bidirectional streams only: after this long without a frame from the service, stet ends its side of
   * the stream, which asks the service to suspend; `abortTimeoutMs` later the stream is cut. 0 = never.
   */
  readonly inactivityTimeoutMs?: number;
  readonly abortTimeoutMs?: number;
  /** Silence (ms) after which `onSilent` is told, once per silence; 0 = never. */
  readonly silentWarnMs?: number;
  readonly onSilent?: (silentMs: number, action: SilentAttemptAction) => void;
  /** Receives the function that writes a notification into this attempt's stream, once it is open. */
  readonly onStream?: (deliver: (frame: Uint8Array) => void) => void;
  /** Called when the first bytes of the service's answer arrive (its handler has run up to a step). */
  readonly onAnswered?: () => void;
  /** Receives the answer's `x-restate-server` header (the SDK naming itself), when it has one. */
  readonly onServer?: (server: string) => void;
}

class AttemptFailure extends Error {}

/**
 * One attempt of one invocation: open a stream to the deployment, replay the journal, then turn each
 * frame the service sends into an effect for the partition, in order. Resolves with how it ended;
 * never throws for anything the service does.
 */
export async function runAttempt(run: AttemptRun): Promise<AttemptOutcome> {
  const { fence, input, target, sink, signal } = run;
  let version: ProtocolVersion;
  try {
    version = attemptVersion(run);
  } catch (error) {
    return { kind: "failed", failure: toError(error).message };
  }
  // Carried by the attempt's first journal write (a command or a run's result), as Restate pins: an
  // attempt that fails or suspends before writing anything leaves the invocation free to move.
  let pin: DeploymentPin | undefined =
    run.pinnedProtocolVersion === undefined && target.id !== undefined ? { deploymentId: target.id, protocolVersion: version } : undefined;
  const takePin = (): { pin?: DeploymentPin } => {
    if (pin === undefined) return {};
    const taken = pin;
    pin = undefined;
    return { pin: taken };
  };
  const contentType = contentTypeFor(version);
  const stream = run.transport.open(target, `/invoke/${encodeURIComponent(input.service)}/${encodeURIComponent(input.handler)}`, {
    "content-type": contentType,
    accept: contentType,
  });
  const onAbort = () => stream.abort(toError(signal.reason ?? new Error("attempt aborted")));
  const timers = new SilenceWatch({
    warnAfterMs: run.onSilent === undefined ? 0 : (run.silentWarnMs ?? 0),
    // Only a bidirectional stream can be asked to suspend (Restate's inactivity timeout).
    suspendAfterMs: target.httpVersion === 2 ? (run.inactivityTimeoutMs ?? 0) : 0,
    abortAfterMs: run.abortTimeoutMs ?? 0,
    writable: () => stream.writable,
    askToSuspend: () => stream.end(),
    abort: () => stream.abort(new Error(`the service did not end the attempt within the abort timeout (${run.abortTimeoutMs} ms)`)),
    onSilent: (silentMs, action) => run.onSilent?.(silentMs, action),
  });
  if (signal.aborted) onAbort();
  signal.addEventListener("abort", onAbort, { once: true });

  // Effects are proposed in frame order without waiting for each commit (the committer keeps order);
  // a stale verdict on any of them ends the attempt.
  let fenced = false;
  // An effect the partition could not store (a storage fault) ends the attempt: the service would
  // otherwise wait forever for the result of a command stet never recorded.
  let storeFailure: Error | undefined;
  const inFlight = new Set<Promise<EffectOutcome>>();
  const propose = (effect: Parameters<EffectSink["propose"]>[0]): Promise<EffectOutcome> => {
    const p = sink.propose(effect).then(
      (outcome) => {
        if (!outcome.applied && !fenced) {
          fenced = true;
          stream.abort(new Error("attempt fenced"));
        }
        return outcome;
      },
      (error: unknown) => {
        storeFailure ??= new AttemptFailure(`could not store the service's effects: ${toError(error).message}`);
        stream.abort(storeFailure);
        throw storeFailure;
      },
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  };
  const settle = async () => {
    await Promise.all([...inFlight]);
  };

  let entriesSeen = input.journal.length;
  try {
    stream.write(encodeFrame(MessageType.Start, toBinary(StartMessageSchema, startMessage(input))));
    for (const entry of input.journal) stream.write(entry.frame);
    if (target.httpVersion === 1) stream.end();
    // Notifications stored from now on reach the service live, after the replayed journal.
    run.onStream?.((frame) => {
      if (!stream.writable) return;
      entriesSeen++;
      stream.write(frame);
    });

    const response = await stream.response;
    const server = response.headers["x-restate-server"];
    if (typeof server === "string") run.onServer?.(server);
    if (response.status !== 200) {
      throw new AttemptFailure(`deployment answered HTTP ${response.status} to the invocation request`);
    }
    const answered = String(response.headers["content-type"] ?? "");
    if (parseContentTypeVersion(answered) !== version) {
      throw new AttemptFailure(`deployment answered content-type '${answered}', expected '${contentType}'`);
    }

    const decoder = new FrameDecoder();
    // An Output stored by an earlier attempt that stopped before its End is replayed, not re-sent:
    // the service then answers with End alone.
    const storedOutput = input.journal.find((entry) => entry.type === MessageType.OutputCommand);
    let result: InvocationResult | undefined = storedOutput === undefined ? undefined : outputOf(frameFromRaw(storedOutput.frame));
    let pending: JournalFrame[] = [];
    const flushCommands = () => {
      if (pending.length === 0) return;
      void propose({ kind: "journal", fence, entries: pending, ...takePin() }).catch(() => {});
      pending = [];
    };

    timers.responded();
    let heardBack = false;
    for await (const chunk of stream.chunks) {
      timers.heard();
      if (!heardBack) {
        heardBack = true;
        run.onAnswered?.();
      }
      for (const frame of decoder.push(chunk)) {
        if (isCommand(frame.type) || isCustom(frame.type)) {
          if (frame.type === MessageType.OutputCommand) result = outputOf(frame);
          pending.push({ type: frame.type, frame: frame.raw });
          entriesSeen++;
          continue;
        }
        flushCommands();
        switch (frame.type) {
          case MessageType.ProposeRunCompletion: {
            const proposal = fromBinary(ProposeRunCompletionMessageSchema, frame.payload);
            const notification = runCompletionFrame(proposal);
            const completionId = proposal.resultCompletionId;
            const stored = propose({ kind: "run-completion", fence, completionId, notification, ...takePin() });
            void stored
              .then((outcome) => {
                if (!outcome.applied || !stream.writable) return;
                entriesSeen++;
                stream.write(
                  frame.requestedAck
                    ? encodeFrame(
                        MessageType.ProposeRunCompletionAck,
                        toBinary(ProposeRunCompletionAckMessageSchema, create(ProposeRunCompletionAckMessageSchema, { completionId })),
                      )
                    : notification.frame,
                );
              })
              .catch(() => {});
            break;
          }
          case MessageType.AwaitingOn:
            break;
          case MessageType.End: {
            if (result === undefined) throw new AttemptFailure("service sent End without an OutputCommand");
            // Proposed right behind the commands before it: they commit together (the partition refuses
            // the End if one of them failed), one fsync instead of two.
            const ended = propose({ kind: "end", fence, result });
            await settle();
            stream.end();
            if (fenced) return { kind: "fenced" };
            return (await ended).applied ? { kind: "ended" } : { kind: "fenced" };
          }
          case MessageType.Suspension: {
            await settle();
            if (fenced) return { kind: "fenced" };
            let awaiting: AwaitedIds | undefined;
            try {
              awaiting = awaitedBySuspension(frame.payload);
            } catch {
              awaiting = undefined;
            }
            const suspended = await propose({ kind: "suspended", fence, entriesSeen, ...(awaiting === undefined ? {} : { awaiting }) });
            stream.end();
            return suspended.applied ? { kind: "suspended" } : { kind: "fenced" };
          }
          case MessageType.Error: {
            const error = fromBinary(ErrorMessageSchema, frame.payload);
            await settle();
            stream.end();
            const retryAfterMs = error.nextRetryDelay === undefined ? undefined : Number(error.nextRetryDelay);
            return { kind: "failed", failure: `[${error.code}] ${error.message}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
          }
          default:
            throw new AttemptFailure(`protocol violation: service sent ${messageTypeName(frame.type)} (0x${frame.type.toString(16)})`);
        }
      }
      // Commands of one chunk go to the partition together; the service may now wait for their results.
      // Except behind an Output: nothing waits on it, and the End that follows (often in the next chunk)
      // then commits with it, one commit instead of two between an object's invocations.
      if (!pending.some((entry) => entry.type === MessageType.OutputCommand)) flushCommands();
    }
    flushCommands();
    decoder.end();
    await settle();
    if (fenced) return { kind: "fenced" };
    throw new AttemptFailure("stream closed without End, Suspension or Error");
  } catch (error) {
    await Promise.allSettled([...inFlight]);
    stream.abort(toError(error));
    if (fenced) return { kind: "fenced" };
    if (signal.aborted) return { kind: "failed", failure: "attempt aborted" };
    return { kind: "failed", failure: (storeFailure ?? toError(error)).message };
  } finally {
    timers.clear();
    signal.removeEventListener("abort", onAbort);
    stream.drain();
  }
}

/** The version this attempt speaks: the pinned one (if stet still speaks it), else the negotiated one. */
function attemptVersion(run: AttemptRun): ProtocolVersion {
  const pinned = run.pinnedProtocolVersion;
  if (pinned === undefined) return negotiateVersion(run.target.minProtocolVersion, run.target.maxProtocolVersion, 5, run.maxProtocolVersion);
  if (!isSupportedProtocolVersion(pinned) || pinned > run.maxProtocolVersion) {
    throw new AttemptFailure(`the invocation is pinned to service protocol version ${pinned}, which this stet does not speak (up to ${run.maxProtocolVersion})`);
  }
  return pinned;
}

function startMessage(input: AttemptInput) {
  const id = invocationIdToBytes(input.invocationId);
  return create(StartMessageSchema, {
    id,
    debugId: input.invocationId,
    knownEntries: input.journal.length,
    stateMap: input.state.entries.map(([key, value]) => ({ key, value })),
    partialState: input.state.partial,
    key: input.key,
    retryCountSinceLastStoredEntry: input.retryCount,
    // Stable per invocation so every replay sees the same sequence from ctx.rand.
    randomSeed: Buffer.from(id).readBigUInt64BE(id.length - 8),
  });
}

function outputOf(frame: Frame): InvocationResult {
  const output = fromBinary(OutputCommandMessageSchema, frame.payload);
  if (output.result.case === "failure") {
    return { kind: "failure", code: output.result.value.code, message: output.result.value.message };
  }
  return { kind: "value", value: output.result.case === "value" ? output.result.value.content : new Uint8Array() };
}

function runCompletionFrame(proposal: ReturnType<typeof fromBinary<typeof ProposeRunCompletionMessageSchema>>): JournalFrame {
  const result =
    proposal.result.case === "value"
      ? { case: "value" as const, value: { content: proposal.result.value } }
      : proposal.result.case === "failure"
        ? { case: "failure" as const, value: proposal.result.value }
        : { case: undefined };
  const message = create(RunCompletionNotificationMessageSchema, {
    completionId: proposal.resultCompletionId,
    result,
  });
  return {
    type: MessageType.RunCompletionNotification,
    frame: encodeFrame(MessageType.RunCompletionNotification, toBinary(RunCompletionNotificationMessageSchema, message)),
  };
}
