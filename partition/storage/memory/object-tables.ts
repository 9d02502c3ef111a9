import type { InvocationId } from "../../../protocol/index.js";
import type { LockTable, StateTable } from "../object-tables.js";
import { OrderedGroups, RowMap, type TablePart } from "./row-map.js";
import { bytesKey, compositeKey, copyBytes, rowBytes } from "./row-keys.js";
import { byBytes, byNumber } from "./sorted-list.js";
import type { StoreContext } from "./store-context.js";
import { fromColumns, tableChanges, type Columns, type InboxImage, type LockImage, type StateImage, type TableChanges } from "./write-set.js";

/** Object and workflow state, by (service, key, state key); each object's keys in byte order, as SQLite's key sorts them. */
export class MemoryStateTable implements StateTable {
  readonly #byObject = new OrderedGroups<StateImage, string, Uint8Array>(
    "state by object",
    (row) => [compositeKey(row.service, row.objectKey), row.stateKey],
    byBytes,
  );
  readonly #rows: RowMap<string, StateImage>;

  constructor(context: StoreContext) {
    this.#rows = new RowMap(context, "state", (r) => rowBytes(r.service, r.objectKey, r.stateKey, r.value), [this.#byObject]);
  }

  get(service: string, key: string, stateKey: Uint8Array): Uint8Array | undefined {
    return this.#rows.get(stateRowKey(service, key, stateKey))?.value;
  }

  all(service: string, key: string): Array<[Uint8Array, Uint8Array]> {
    return this.keys(service, key).map((stateKey) => [stateKey, this.#rows.get(stateRowKey(service, key, stateKey))!.value]);
  }

  keys(service: string, key: string): Uint8Array[] {
    return this.#byObject.list(compositeKey(service, key));
  }

  set(service: string, key: string, stateKey: Uint8Array, value: Uint8Array): void {
    const row: StateImage = { service, objectKey: key, stateKey: copyBytes(stateKey), value: copyBytes(value) };
    this.#rows.put(stateRowKey(service, key, stateKey), row);
  }

  clear(service: string, key: string, stateKey: Uint8Array): void {
    this.#rows.delete(stateRowKey(service, key, stateKey));
  }

  clearAll(service: string, key: string): void {
    for (const stateKey of this.keys(service, key)) this.#rows.delete(stateRowKey(service, key, stateKey));
  }

  get parts(): readonly TablePart[] {
    return [this.#rows];
  }

  load(rows: Columns<StateImage>): void {
    for (const r of fromColumns(rows)) this.#rows.load(stateRowKey(r.service, r.objectKey, r.stateKey), r);
  }

  forget(belongs: (row: StateImage) => boolean): void {
    this.#rows.forget(belongs);
  }

  changes(): TableChanges<StateImage, "service" | "objectKey" | "stateKey"> {
    return tableChanges(["service", "objectKey", "stateKey", "value"], ["service", "objectKey", "stateKey"], this.#rows.changes());
  }
}

function stateRowKey(service: string, key: string, stateKey: Uint8Array): string {
  return compositeKey(service, key, bytesKey(stateKey));
}

/** Exclusive locks of objects and workflows, and each key's inbox in arrival order. */
export class MemoryLockTable implements LockTable {
  readonly #locks: RowMap<string, LockImage>;
  readonly #inboxByObject = new OrderedGroups<InboxImage, string, number>(
    "inbox by object",
    (row) => [compositeKey(row.service, row.objectKey), row.seq],
    byNumber,
  );
  readonly #inboxByInvocation = new OrderedGroups<InboxImage, string, number>("inbox by invocation", (row) => [row.invocationId, row.seq], byNumber);
  readonly #inbox: RowMap<number, InboxImage>;

  constructor(private readonly context: StoreContext) {
    this.#locks = new RowMap(context, "locks", (r) => rowBytes(r.service, r.objectKey, r.invocationId));
    this.#inbox = new RowMap(context, "inbox", (r) => rowBytes(r.service, r.objectKey, r.invocationId), [
      this.#inboxByObject,
      this.#inboxByInvocation,
    ]);
  }

  holder(service: string, key: string): InvocationId | undefined {
    return this.#locks.get(compositeKey(service, key))?.invocationId as InvocationId | undefined;
  }

  take(service: string, key: string, id: InvocationId): void {
    this.#locks.insert(compositeKey(service, key), { service, objectKey: key, invocationId: id });
  }

  release(service: string, key: string, id: InvocationId): void {
    if (this.holder(service, key) === id) this.#locks.delete(compositeKey(service, key));
  }

  enqueue(service: string, key: string, id: InvocationId): void {
    const seq = this.context.nextSeq("inbox");
    this.#inbox.insert(seq, { seq, service, objectKey: key, invocationId: id });
  }

  dequeue(service: string, key: string): InvocationId | undefined {
    const seq = this.#inboxByObject.first(compositeKey(service, key));
    return seq === undefined ? undefined : (this.#inbox.delete(seq)!.invocationId as InvocationId);
  }

  removeFromInbox(id: InvocationId): void {
    for (const seq of this.#inboxByInvocation.list(id)) this.#inbox.delete(seq);
  }

  get parts(): readonly TablePart[] {
    return [this.#locks, this.#inbox];
  }

  load(locks: Columns<LockImage>, inbox: Columns<InboxImage>): void {
    for (const r of fromColumns(locks)) this.#locks.load(compositeKey(r.service, r.objectKey), r);
    for (const r of fromColumns(inbox)) this.#inbox.load(r.seq, r);
  }

  forget(locks: (row: LockImage) => boolean, inbox: (row: InboxImage) => boolean): void {
    this.#locks.forget(locks);
    this.#inbox.forget(inbox);
  }

  lockChanges(): TableChanges<LockImage, "service" | "objectKey"> {
    return tableChanges(["service", "objectKey", "invocationId"], ["service", "objectKey"], this.#locks.changes());
  }

  inboxChanges(): TableChanges<InboxImage, "seq"> {
    return tableChanges(["seq", "service", "objectKey", "invocationId"], ["seq"], this.#inbox.changes());
  }
}
