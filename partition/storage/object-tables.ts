import type { InvocationId } from "../../protocol/index.js";

/** The state of objects and workflows, by service and key. */
export interface StateTable {
  get(service: string, key: string, stateKey: Uint8Array): Uint8Array | undefined;
  all(service: string, key: string): Array<[Uint8Array, Uint8Array]>;
  keys(service: string, key: string): Uint8Array[];
  set(service: string, key: string, stateKey: Uint8Array, value: Uint8Array): void;
  clear(service: string, key: string, stateKey: Uint8Array): void;
  clearAll(service: string, key: string): void;
}

/**
 * Each object or workflow key's exclusive lock and its inbox: what waits for the lock, in arrival order
 * (invocation ids, or state-mutation markers: state-mutation-table.ts).
 */
export interface LockTable {
  holder(service: string, key: string): InvocationId | undefined;
  take(service: string, key: string, id: InvocationId): void;
  release(service: string, key: string, id: InvocationId): void;
  enqueue(service: string, key: string, id: InvocationId): void;
  /** Removes and returns the first entry of the key's inbox. */
  dequeue(service: string, key: string): InvocationId | undefined;
  removeFromInbox(id: InvocationId): void;
}
