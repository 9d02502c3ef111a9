/** A replacement of one object's (or workflow's) whole state, asked for by an operator. */
export interface StateMutation {
  readonly service: string;
  readonly key: string;
  /** The version the caller read (`stateVersion`); the mutation is dropped when the state moved on. */
  readonly expectedVersion: string | null;
  readonly entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>;
}

/**
 * State mutations waiting behind their key's lock. The inbox names a waiting one by a marker
 * (`stateMutationMarker`) in place of an invocation id, so it is applied in arrival order with the key's
 * invocations.
 */
export interface StateMutationTable {
  /** Stores a mutation; returns the inbox marker that names it. */
  add(mutation: StateMutation): string;
  /** Removes and returns the mutation a marker names. */
  take(marker: string): StateMutation | undefined;
}

/** Inbox entries starting with this name a state mutation, not an invocation (ids start with `inv_`). */
const MARKER_PREFIX = "state-mutation:";

/** The inbox marker of the stored mutation numbered `seq`. */
export function stateMutationMarker(seq: number | bigint): string {
  return `${MARKER_PREFIX}${seq}`;
}

/** The number a marker carries; undefined when the entry is not a marker. */
export function stateMutationSeq(inboxEntry: string): number | undefined {
  return isStateMutationMarker(inboxEntry) ? Number(inboxEntry.slice(MARKER_PREFIX.length)) : undefined;
}

export function isStateMutationMarker(inboxEntry: string): boolean {
  return inboxEntry.startsWith(MARKER_PREFIX);
}
