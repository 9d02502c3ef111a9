import { describe, it, expect } from "vitest";
import {
  CombinatorType,
  ErrorBehavior,
  ErrorMessageSchema,
  FrameDecoder,
  FutureSchema,
  MessageType,
  OutputCommandMessageSchema,
  ProposeRunCompletionMessageSchema,
  ProtocolError,
  ProtocolErrorCode,
  RunCommandMessageSchema,
  SignalNotificationMessageSchema,
  SleepCompletionNotificationMessageSchema,
  StartMessageSchema,
  SuspensionMessageSchema,
  create,
  decodeFrameMessage,
  decodeMessage,
  decodeNotification,
  encodeMessage,
  encodeMessageFrame,
  isCommand,
  isCustom,
  isNotification,
  messageSchemas,
  messageTypeName,
  schemaFor,
  toBinary,
} from "../../../protocol/index.js";

describe("message codecs", () => {
  it("round-trips a StartMessage with a state map and v7 fields", () => {
    const start = create(StartMessageSchema, {
      id: new Uint8Array(24).fill(7),
      debugId: "inv_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hbz",
      knownEntries: 3,
      stateMap: [
        { key: Buffer.from("count"), value: Buffer.from("42") },
        { key: Buffer.from("empty"), value: new Uint8Array(0) },
      ],
      partialState: true,
      key: "user-1",
      retryCountSinceLastStoredEntry: 2,
      durationSinceLastStoredEntry: 1500n,
      randomSeed: 0xffff_ffff_ffff_ffffn,
      idempotencyKey: "abc",
    });
    const decoded = decodeMessage(MessageType.Start, encodeMessage(MessageType.Start, start));
    expect(decoded.debugId).toBe(start.debugId);
    expect(decoded.knownEntries).toBe(3);
    expect(decoded.stateMap.map((e) => [Buffer.from(e.key).toString(), Buffer.from(e.value).toString()])).toEqual([
      ["count", "42"],
      ["empty", ""],
    ]);
    expect(decoded.partialState).toBe(true);
    expect(decoded.randomSeed).toBe(0xffff_ffff_ffff_ffffn);
    expect(decoded.idempotencyKey).toBe("abc");
    expect(decoded.scope).toBeUndefined();
  });

  it("encodes field numbers as the spec defines them", () => {
    // RunCommand: result_completion_id = 11 (varint), name = 12 (length-delimited).
    const bytes = encodeMessage(MessageType.RunCommand, create(RunCommandMessageSchema, { resultCompletionId: 1, name: "x" }));
    expect(Buffer.from(bytes).toString("hex")).toBe("5801" + "620178");
    // ProposeRunCompletion: result_completion_id = 1, value = 14 (bytes).
    const proposal = create(ProposeRunCompletionMessageSchema, {
      resultCompletionId: 1,
      result: { case: "value", value: Buffer.from("ok") },
    });
    expect(Buffer.from(toBinary(ProposeRunCompletionMessageSchema, proposal)).toString("hex")).toBe("0801" + "7202" + "6f6b");
  });

  it("round-trips a RunCommand", () => {
    const run = create(RunCommandMessageSchema, { resultCompletionId: 5, name: "fetch" });
    const decoded = decodeMessage(MessageType.RunCommand, encodeMessage(MessageType.RunCommand, run));
    expect(decoded).toEqual(run);
  });

  it("carries a ProposeRunCompletion with the requested-ack flag through a frame", () => {
    const proposal = create(ProposeRunCompletionMessageSchema, {
      resultCompletionId: 5,
      result: { case: "value", value: Buffer.from('{"ok":true}') },
    });
    const raw = encodeMessageFrame(MessageType.ProposeRunCompletion, proposal, { requestedAck: true });
    const [frame] = new FrameDecoder().push(raw);
    expect(frame!.requestedAck).toBe(true);
    const decoded = decodeFrameMessage(frame!);
    expect(decoded.type).toBe(MessageType.ProposeRunCompletion);
    if (decoded.type !== MessageType.ProposeRunCompletion) throw new Error("narrowing");
    expect(decoded.message.resultCompletionId).toBe(5);
    expect(decoded.message.result.case).toBe("value");
    expect(Buffer.from(decoded.message.result.value as Uint8Array).toString()).toBe('{"ok":true}');
  });

  it("round-trips an Output with a failure and metadata", () => {
    const output = create(OutputCommandMessageSchema, {
      result: {
        case: "failure",
        value: { code: 409, message: "conflict", metadata: [{ key: "reason", value: "duplicate" }] },
      },
    });
    const decoded = decodeMessage(MessageType.OutputCommand, encodeMessage(MessageType.OutputCommand, output));
    expect(decoded.result.case).toBe("failure");
    if (decoded.result.case !== "failure") throw new Error("narrowing");
    expect(decoded.result.value.code).toBe(409);
    expect(decoded.result.value.message).toBe("conflict");
    expect(decoded.result.value.metadata[0]).toMatchObject({ key: "reason", value: "duplicate" });
  });

  it("round-trips a Suspension with a nested Future tree", () => {
    const suspension = create(SuspensionMessageSchema, {
      awaitingOn: {
        combinatorType: CombinatorType.ALL_SUCCEEDED_OR_FIRST_FAILED,
        waitingCompletions: [3],
        nestedFutures: [
          { combinatorType: CombinatorType.FIRST_COMPLETED, waitingSignals: [17, 18], waitingNamedSignals: ["approve"] },
        ],
      },
    });
    const bytes = encodeMessage(MessageType.Suspension, suspension);
    // Field 4 (awaiting_on) only: fields 1..3 are reserved since v7.
    expect(bytes[0]).toBe((4 << 3) | 2);
    const decoded = decodeMessage(MessageType.Suspension, bytes);
    expect(decoded.awaitingOn?.waitingCompletions).toEqual([3]);
    const nested = decoded.awaitingOn?.nestedFutures[0];
    expect(nested?.combinatorType).toBe(CombinatorType.FIRST_COMPLETED);
    expect(nested?.waitingSignals).toEqual([17, 18]);
    expect(nested?.waitingNamedSignals).toEqual(["approve"]);
    expect(decoded.awaitingOn?.$typeName).toBe(FutureSchema.typeName);
  });

  it("reads ErrorMessage behavior and retry delay", () => {
    const error = create(ErrorMessageSchema, {
      code: 500,
      message: "boom",
      nextRetryDelay: 250n,
      behavior: ErrorBehavior.PAUSE,
    });
    const decoded = decodeMessage(MessageType.Error, encodeMessage(MessageType.Error, error));
    expect(decoded.nextRetryDelay).toBe(250n);
    expect(decoded.behavior).toBe(ErrorBehavior.PAUSE);
    // An unset behavior (pre-v7 SDKs) reads as RETRY.
    expect(decodeMessage(MessageType.Error, new Uint8Array(0)).behavior).toBe(ErrorBehavior.RETRY);
  });

  it("decodes any notification through the shared template", () => {
    const sleep = toBinary(SleepCompletionNotificationMessageSchema, create(SleepCompletionNotificationMessageSchema, { completionId: 4, void: {} }));
    const generic = decodeNotification(sleep);
    expect(generic.id).toEqual({ case: "completionId", value: 4 });
    expect(generic.result.case).toBe("void");

    const signal = toBinary(
      SignalNotificationMessageSchema,
      create(SignalNotificationMessageSchema, { signalId: { case: "idx", value: 17 }, result: { case: "value", value: { content: Buffer.from("hi") } } }),
    );
    const decoded = decodeNotification(signal);
    expect(decoded.id).toEqual({ case: "signalId", value: 17 });
    expect(decoded.result.case).toBe("value");
  });

  it("rejects a payload that is not valid protobuf with a coded error", () => {
    try {
      decodeMessage(MessageType.Start, Buffer.from([0x0a, 0xff, 0x01]));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).code).toBe(ProtocolErrorCode.MalformedMessage);
      expect((error as ProtocolError).message).toContain("Start");
    }
  });

  it("has no schema for custom or unknown ids", () => {
    expect(schemaFor(0xfc01)).toBeUndefined();
    expect(() => decodeMessage(0xfc01, new Uint8Array(0))).toThrow(/custom entry/);
    expect(() => decodeMessage(0x0004, new Uint8Array(0))).toThrow(ProtocolError);
  });

  it("refuses to encode a message under another type's id", () => {
    const run = create(RunCommandMessageSchema, {});
    // @ts-expect-error a RunCommandMessage is not an OutputCommandMessage
    expect(() => encodeMessage(MessageType.OutputCommand, run)).toThrow(/cannot be sent/);
  });
});

describe("message types", () => {
  it("maps every id to a schema of the matching kind", () => {
    for (const [name, id] of Object.entries(MessageType)) {
      const schema = schemaFor(id);
      expect(schema, name).toBeDefined();
      expect(messageSchemas[id]).toBe(schema);
      if (name.endsWith("Command")) expect(isCommand(id), name).toBe(true);
      if (name.endsWith("Notification")) expect(isNotification(id), name).toBe(true);
    }
  });

  it("classifies the namespaces", () => {
    expect(isCommand(0x0400)).toBe(true);
    expect(isCommand(0x7fff)).toBe(true);
    expect(isCommand(0x8000)).toBe(false);
    expect(isNotification(0x8000)).toBe(true);
    expect(isNotification(MessageType.SignalNotification)).toBe(true);
    expect(isNotification(0xfc00)).toBe(false);
    expect(isCustom(0xfc00)).toBe(true);
    expect(isCustom(0xffff)).toBe(true);
    expect(isCustom(0xfbff)).toBe(false);
    expect(isCommand(MessageType.Start)).toBe(false);
  });

  it("names ids for logs", () => {
    expect(messageTypeName(0x0411)).toBe("RunCommand");
    expect(messageTypeName(0xfc01)).toBe("Custom(0xfc01)");
    expect(messageTypeName(0x0042)).toBe("Unknown(0x0042)");
  });
});
