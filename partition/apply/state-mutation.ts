import { createHash } from "node:crypto";
import type { InvocationId } from "../../protocol/index.js";
import type { StateMutation } from "../storage/state-mutation-table.js";
import type { ApplyContext } from "./context.js";

/**
 * The version of an object's state, as Restate computes it (so that a version read through Restate's
 * CLI or web UI checks against stet's state): pairs sorted by key bytes; SHA-256 over, for the i-th
 * pair, `u64 big-endian i, 0x01, key, 0x02, value, 0x03`; base64url without padding.
 */
export function stateVersion(entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): string {
  const hash = createHash("sha256");
  const sorted = [...entries].sort(([a], [b]) => Buffer.compare(a, b));
  const index = Buffer.alloc(8);
  sorted.forEach(([key, value], i) => {
    index.writeBigUInt64BE(BigInt(i));
    hash.update(index).update(SEP[0]!).update(key).update(SEP[1]!).update(value).update(SEP[2]!);
  });
  return hash.digest("base64url");
}

const SEP = [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)];

/**
 * Replaces a key's whole state once no exclusive handler holds its lock: now, or when its turn in the
 * key's inbox comes (after the invocations that arrived before it).
 */
export function mutateState(ctx: ApplyContext, mutation: StateMutation): void {
  const { store } = ctx;
  if (store.locks.holder(mutation.service, mutation.key) !== undefined) {
    store.locks.enqueue(mutation.service, mutation.key, store.stateMutations.add(mutation) as InvocationId);
    return;
  }
  replaceState(ctx, mutation);
}

/**
 * Applies a mutation whose turn has come. One made against a version the state no longer has is
 * dropped without an error, as Restate drops it: its caller was answered 202 long ago.
 */
export function replaceState(ctx: ApplyContext, mutation: StateMutation): void {
  const { state } = ctx.store;
  if (mutation.expectedVersion !== null && mutation.expectedVersion !== stateVersion(state.all(mutation.service, mutation.key))) return;
  state.clearAll(mutation.service, mutation.key);
  for (const [key, value] of mutation.entries) state.set(mutation.service, mutation.key, key, value);
}
