import type { PartitionMembership, StateMutationImage } from "../partition/storage/memory/index.js";
import { partitionKeyForKey, partitionKeyOf, partitionOf, type InvocationId } from "../protocol/index.js";

/**
 * The partition of each row that does not name one, as the partition processors route them: an object's
 * or workflow's rows go with its key, an idempotency key with the invocation it names, a waiter with
 * what it waits for (an invocation's outcome, or a workflow promise `service\0key\0name`, see
 * partition/apply/commands.ts).
 */
export class RowPartitions {
  constructor(readonly partitionCount: number) {}

  object(service: string, key: string): number {
    return partitionOf(partitionKeyForKey(service, key), this.partitionCount);
  }

  /** An id that is not an invocation id (a test's made-up one) goes where a key of that name would. */
  invocation(id: string): number {
    try {
      return partitionOf(partitionKeyOf(id as InvocationId), this.partitionCount);
    } catch {
      return this.object("", id);
    }
  }

  waiter(kind: string, target: string): number {
    const [service, key] = target.split("\u0000");
    return kind === "promise" && key !== undefined ? this.object(service!, key) : this.invocation(target);
  }

  /** The tests that pick `partition`'s rows, for forgetting them (MemoryPartitionStore.forget). */
  membership(partition: number): PartitionMembership {
    const ofObject = (row: { service: string; objectKey: string }) => this.object(row.service, row.objectKey) === partition;
    return {
      state: ofObject,
      locks: ofObject,
      inbox: ofObject,
      promises: ofObject,
      workflows: ofObject,
      stateMutations: ofObject,
      idempotency: (row) => this.invocation(row.invocationId) === partition,
      waiters: (row) => this.waiter(row.kind, row.target) === partition,
    };
  }
}

/** A state mutation's keys and values in one value: per entry a u32 length and the bytes, key then value. */
export function packState(keys: readonly Uint8Array[], values: readonly Uint8Array[]): Buffer {
  const parts: Buffer[] = [];
  keys.forEach((key, i) => {
    for (const bytes of [key, values[i]!]) {
      const length = Buffer.allocUnsafe(4);
      length.writeUInt32BE(bytes.byteLength);
      parts.push(length, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
  });
  return Buffer.concat(parts);
}

export function unpackState(packed: Buffer): Pick<StateMutationImage, "stateKeys" | "stateValues"> {
  const stateKeys: Buffer[] = [];
  const stateValues: Buffer[] = [];
  for (let at = 0, n = 0; at < packed.length; n++) {
    const length = packed.readUInt32BE(at);
    (n % 2 === 0 ? stateKeys : stateValues).push(Buffer.from(packed.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  return { stateKeys, stateValues };
}
