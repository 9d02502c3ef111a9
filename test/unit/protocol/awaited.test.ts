import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import {
  CallCompletionNotificationMessageSchema,
  SignalNotificationMessageSchema,
  SuspensionMessageSchema,
  awaitedBySuspension,
  isAwaited,
} from "../../../protocol/index.js";

describe("what a suspension waits for", () => {
  it("flattens a v7 future tree", () => {
    const payload = toBinary(
      SuspensionMessageSchema,
      create(SuspensionMessageSchema, {
        awaitingOn: {
          waitingCompletions: [1],
          nestedFutures: [{ waitingCompletions: [4, 5], waitingSignals: [17] }, { waitingNamedSignals: ["go"] }],
        },
      }),
    );
    expect(awaitedBySuspension(payload)).toEqual({ completions: [1, 4, 5], signals: [17], names: ["go"] });
  });

  it("reads the flat lists of v5 and v6 (packed and unpacked)", () => {
    const w = new BinaryWriter();
    w.tag(1, 2).fork().uint32(3).uint32(9).join(); // packed completions
    w.tag(2, 0).uint32(17); // one unpacked signal
    w.tag(3, 2).string("wake");
    expect(awaitedBySuspension(w.finish())).toEqual({ completions: [3, 9], signals: [17], names: ["wake"] });
  });

  it("matches notifications by completion id, signal index or signal name", () => {
    const awaited = { completions: [3], signals: [17], names: ["wake"] };
    const completion = (id: number) =>
      toBinary(CallCompletionNotificationMessageSchema, create(CallCompletionNotificationMessageSchema, { completionId: id, result: { case: "value", value: { content: new Uint8Array() } } }));
    const signal = (s: { case: "idx"; value: number } | { case: "name"; value: string }) =>
      toBinary(SignalNotificationMessageSchema, create(SignalNotificationMessageSchema, { signalId: s, result: { case: "void", value: {} } }));
    expect(isAwaited(completion(3), awaited)).toBe(true);
    expect(isAwaited(completion(4), awaited)).toBe(false);
    expect(isAwaited(signal({ case: "idx", value: 17 }), awaited)).toBe(true);
    expect(isAwaited(signal({ case: "idx", value: 18 }), awaited)).toBe(false);
    expect(isAwaited(signal({ case: "name", value: "wake" }), awaited)).toBe(true);
    expect(isAwaited(signal({ case: "name", value: "other" }), awaited)).toBe(false);
  });
});
