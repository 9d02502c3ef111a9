import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { FutureSchema, type Future } from "./generated/service_protocol_pb.js";
import { decodeNotification } from "./messages.js";

/** The notification ids an invocation waits for when it suspends: any of them may unblock it. */
export interface AwaitedIds {
  readonly completions: readonly number[];
  readonly signals: readonly number[];
  readonly names: readonly string[];
}

/**
 * Reads what a SuspensionMessage waits for. v7 sends a tree of futures (field 4); v5 and v6 sent flat
 * lists (fields 1–3, reserved in today's proto). Combinators are flattened: resuming when any awaited
 * notification arrives is what "potentially unblock" asks for; the SDK suspends again if it was not enough.
 */
export function awaitedBySuspension(payload: Uint8Array): AwaitedIds {
  const completions: number[] = [];
  const signals: number[] = [];
  const names: string[] = [];
  const reader = new BinaryReader(payload);
  const varints = (target: number[], wireType: WireType) => {
    if (wireType === WireType.LengthDelimited) {
      const end = reader.uint32() + reader.pos;
      while (reader.pos < end) target.push(reader.uint32());
    } else {
      target.push(reader.uint32());
    }
  };
  const visit = (future: Future) => {
    completions.push(...future.waitingCompletions);
    signals.push(...future.waitingSignals);
    names.push(...future.waitingNamedSignals);
    future.nestedFutures.forEach(visit);
  };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) varints(completions, wireType);
    else if (field === 2) varints(signals, wireType);
    else if (field === 3) names.push(reader.string());
    else if (field === 4) visit(fromBinary(FutureSchema, reader.bytes()));
    else reader.skip(wireType);
  }
  return { completions, signals, names };
}

/** Whether a stored notification frame's id is one of `awaited`. */
export function isAwaited(notificationPayload: Uint8Array, awaited: AwaitedIds): boolean {
  const { id } = decodeNotification(notificationPayload);
  switch (id.case) {
    case "completionId":
      return awaited.completions.includes(id.value);
    case "signalId":
      return awaited.signals.includes(id.value);
    case "signalName":
      return awaited.names.includes(id.value);
    default:
      return true;
  }
}
