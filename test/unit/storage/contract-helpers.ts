import type { LeaderEpoch, LeadershipFence, PartitionId, PartitionStore } from "../../../partition/index.js";
import type { NewInvocationRow } from "../../../partition/storage/invocation-table.js";
import { newInvocationId, randomPartitionKey, type InvocationId } from "../../../protocol/index.js";
import { plainInvocationRow } from "../sqlite/invocation-rows.js";

/** Opens a fresh, empty store of the implementation under test. */
export type OpenStore = () => PartitionStore;

export const P0 = 0 as PartitionId;
export const P1 = 1 as PartitionId;
export const FENCE: LeadershipFence = { partition: P0, leaderEpoch: 3 as LeaderEpoch };
export const T0 = 1_000_000;

export const newId = (): InvocationId => newInvocationId(randomPartitionKey());
export const bytes = (s: string): Buffer => Buffer.from(s, "utf8");
export const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString("utf8"));
/** A journal entry of `size` bytes, each `fill`. */
export const entry = (fill: number, size = 3) => ({ type: 0x0400 + fill, frame: Buffer.alloc(size, fill) });

/** A plain call to `S/h` in partition 0, invoked at T0, with `overrides`. */
export function newRow(overrides: Partial<NewInvocationRow> = {}): NewInvocationRow {
  return { ...plainInvocationRow(newId(), T0), ...overrides };
}

/** Runs `work` as the one command of a batch, as the group commit runs a command, and commits the batch. */
export async function write<T>(store: PartitionStore, work: () => T): Promise<T> {
  const batch = store.begin();
  try {
    return batch.command(FENCE, work);
  } finally {
    await batch.commit();
  }
}

/** Inserts an invocation (a plain call in partition 0 by default) in its own batch; returns its id. */
export async function invocation(store: PartitionStore, overrides: Partial<NewInvocationRow> = {}): Promise<InvocationId> {
  const row = newRow(overrides);
  await write(store, () => store.invocations.insert(row));
  return row.id;
}
