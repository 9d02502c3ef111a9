import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { inputEntry, journalPrefix, notifications } from "../../../../partition/index.js";
import {
  CallCommandMessageSchema,
  MessageType,
  OutputCommandMessageSchema,
  RunCommandMessageSchema,
  RunCompletionNotificationMessageSchema,
  SetStateCommandMessageSchema,
  SleepCommandMessageSchema,
  encodeMessageFrame,
  type KnownMessageType,
} from "../../../../protocol/index.js";
import type { JournalFrame } from "../../../../invoker/index.js";

/** A command or notification frame of `type`. */
function command<S extends DescMessage>(type: KnownMessageType, schema: S, init: MessageInitShape<S>): JournalFrame {
  return { type, frame: encodeMessageFrame(type, create(schema, init) as never) };
}

const input = inputEntry(Buffer.from('"a"'), []);
const run = (id: number) => command(MessageType.RunCommand, RunCommandMessageSchema, { resultCompletionId: id, name: `step${id}` });
const ran = (id: number) =>
  command(MessageType.RunCompletionNotification, RunCompletionNotificationMessageSchema, { completionId: id, result: { case: "value", value: { content: new Uint8Array() } } });
const sleep = (id: number) => command(MessageType.SleepCommand, SleepCommandMessageSchema, { resultCompletionId: id, wakeUpTime: 1n });
const call = (idIdx: number, result: number) =>
  command(MessageType.CallCommand, CallCommandMessageSchema, { serviceName: "S", handlerName: "h", invocationIdNotificationIdx: idIdx, resultCompletionId: result });
const output = command(MessageType.OutputCommand, OutputCommandMessageSchema, { result: { case: "value", value: { content: new Uint8Array() } } });
const setState = command(MessageType.SetStateCommand, SetStateCommandMessageSchema, { key: Buffer.from("k") });

// The journals below are those restate-server 1.7.12 recorded for the same handlers (sys_journal).
describe("journalPrefix (restart-as-new from a journal prefix)", () => {
  // Input, three ctx.run steps each followed by its completion, Output.
  const threeRuns = [input, run(1), ran(1), run(2), ran(2), run(3), ran(3), output];

  it("copies entries 0 to `from` included; a run cut from its completion takes the completion along", () => {
    expect(journalPrefix(threeRuns, 0)).toEqual([input]);
    expect(journalPrefix(threeRuns, 1)).toEqual([input, run(1), ran(1)]);
    expect(journalPrefix(threeRuns, 2)).toEqual([input, run(1), ran(1)]);
    expect(journalPrefix(threeRuns, 3)).toEqual([input, run(1), ran(1), run(2), ran(2)]);
    expect(journalPrefix(threeRuns, 7)).toEqual(threeRuns);
  });

  it("refuses a `from` past the end as an invalid copy range, and u32::MAX as out of range", () => {
    expect(journalPrefix(threeRuns, 8)).toBe("copy-range-invalid");
    expect(journalPrefix(threeRuns, 100)).toBe("copy-range-invalid");
    expect(journalPrefix(threeRuns, 0xffff_ffff)).toBe("index-out-of-range");
  });

  it("refuses a prefix with a command whose completion never came (a sleep lost a race; a call was killed)", () => {
    const racer = [input, sleep(1), run(2), ran(2), output];
    expect(journalPrefix(racer, 0)).toEqual([input]);
    for (const from of [1, 2, 3, 4]) expect(journalPrefix(racer, from)).toBe("copy-range-invalid");
    const killedCaller = [input, call(1, 2), notifications.callInvocationId(1, "inv_x")];
    expect(journalPrefix(killedCaller, 1)).toBe("copy-range-invalid");
    expect(journalPrefix(killedCaller, 2)).toBe("copy-range-invalid");
  });

  it("takes a call's invocation id and result along, later completions in journal order", () => {
    const callId = notifications.callInvocationId(1, "inv_x");
    const callResult = notifications.call(2, { kind: "value", value: new Uint8Array() });
    expect(journalPrefix([input, call(1, 2), callId, callResult, output], 1)).toEqual([input, call(1, 2), callId, callResult]);
    const slept = notifications.sleep(1);
    expect(journalPrefix([input, sleep(1), run(2), ran(2), slept, setState], 2)).toEqual([input, sleep(1), run(2), ran(2), slept]);
  });

  it("copies a signal only when it is inside the prefix (an awakeable resolved later stays unresolved)", () => {
    const signal = notifications.signal({ idx: 17 }, { kind: "value", value: Buffer.from('"val"') });
    const awakeable = [input, run(1), ran(1), signal, output];
    expect(journalPrefix(awakeable, 2)).toEqual([input, run(1), ran(1)]);
    expect(journalPrefix(awakeable, 3)).toEqual([input, run(1), ran(1), signal]);
  });
});
