import type { InvocationId } from "../../../protocol/index.js";
import type { InvocationOutcome } from "../../types.js";
import type { IdempotencyTable, PromiseTable, Waiter, WaiterKind, WaiterTable } from "../keyed-tables.js";
import { OrderedGroups, RowMap, type TablePart } from "./row-map.js";
import { compositeKey, copyBytes, rowBytes } from "./row-keys.js";
import { byNumber, byString } from "./sorted-list.js";
import type { StoreContext } from "./store-context.js";
import {
  fromColumns,
  tableChanges,
  type Columns,
  type IdempotencyImage,
  type PromiseImage,
  type TableChanges,
  type WaiterImage,
  type WorkflowImage,
} from "./write-set.js";

/** Idempotency keys and workflow runs, each also found by the invocation it names (for `deleteFor`). */
export class MemoryIdempotencyTable implements IdempotencyTable {
  readonly #keysByInvocation = new OrderedGroups<IdempotencyImage, string, string>(
    "idempotency by invocation",
    (row) => [row.invocationId, compositeKey(row.service, row.objectKey, row.handler, row.idempotencyKey)],
    byString,
  );
  readonly #runsByInvocation = new OrderedGroups<WorkflowImage, string, string>(
    "workflows by invocation",
    (row) => [row.invocationId, compositeKey(row.service, row.objectKey)],
    byString,
  );
  readonly #keys: RowMap<string, IdempotencyImage>;
  readonly #runs: RowMap<string, WorkflowImage>;

  constructor(context: StoreContext) {
    this.#keys = new RowMap(context, "idempotency", (r) => rowBytes(r.service, r.objectKey, r.handler, r.idempotencyKey, r.invocationId), [
      this.#keysByInvocation,
    ]);
    this.#runs = new RowMap(context, "workflows", (r) => rowBytes(r.service, r.objectKey, r.invocationId), [this.#runsByInvocation]);
  }

  get(service: string, key: string, handler: string, idempotencyKey: string): InvocationId | undefined {
    return this.#keys.get(compositeKey(service, key, handler, idempotencyKey))?.invocationId as InvocationId | undefined;
  }

  put(service: string, key: string, handler: string, idempotencyKey: string, id: InvocationId): void {
    this.#keys.insert(compositeKey(service, key, handler, idempotencyKey), { service, objectKey: key, handler, idempotencyKey, invocationId: id });
  }

  workflowRun(service: string, key: string): InvocationId | undefined {
    return this.#runs.get(compositeKey(service, key))?.invocationId as InvocationId | undefined;
  }

  putWorkflowRun(service: string, key: string, id: InvocationId): void {
    this.#runs.insert(compositeKey(service, key), { service, objectKey: key, invocationId: id });
  }

  deleteFor(id: InvocationId): void {
    for (const key of this.#keysByInvocation.list(id)) this.#keys.delete(key);
    for (const key of this.#runsByInvocation.list(id)) this.#runs.delete(key);
  }

  get parts(): readonly TablePart[] {
    return [this.#keys, this.#runs];
  }

  load(keys: Columns<IdempotencyImage>, runs: Columns<WorkflowImage>): void {
    for (const r of fromColumns(keys)) this.#keys.load(compositeKey(r.service, r.objectKey, r.handler, r.idempotencyKey), r);
    for (const r of fromColumns(runs)) this.#runs.load(compositeKey(r.service, r.objectKey), r);
  }

  forget(keys: (row: IdempotencyImage) => boolean, runs: (row: WorkflowImage) => boolean): void {
    this.#keys.forget(keys);
    this.#runs.forget(runs);
  }

  keyChanges(): TableChanges<IdempotencyImage, "service" | "objectKey" | "handler" | "idempotencyKey"> {
    return tableChanges(
      ["service", "objectKey", "handler", "idempotencyKey", "invocationId"],
      ["service", "objectKey", "handler", "idempotencyKey"],
      this.#keys.changes(),
    );
  }

  runChanges(): TableChanges<WorkflowImage, "service" | "objectKey"> {
    return tableChanges(["service", "objectKey", "invocationId"], ["service", "objectKey"], this.#runs.changes());
  }
}

/** Workflow promises by (workflow, key, name), each workflow key's found together (for `clearAll`). */
export class MemoryPromiseTable implements PromiseTable {
  readonly #byObject = new OrderedGroups<PromiseImage, string, string>(
    "promises by object",
    (row) => [compositeKey(row.service, row.objectKey), row.name],
    byString,
  );
  readonly #rows: RowMap<string, PromiseImage>;

  constructor(context: StoreContext) {
    this.#rows = new RowMap(context, "promises", (r) => rowBytes(r.service, r.objectKey, r.name, r.value, r.failureMessage), [this.#byObject]);
  }

  get(service: string, key: string, name: string): InvocationOutcome | undefined {
    const row = this.#rows.get(compositeKey(service, key, name));
    if (row === undefined) return undefined;
    return row.kind === "value"
      ? { kind: "value", value: row.value ?? new Uint8Array() }
      : { kind: "failure", code: row.failureCode ?? 500, message: row.failureMessage ?? "" };
  }

  put(service: string, key: string, name: string, outcome: InvocationOutcome): void {
    const value = outcome.kind === "value" ? copyBytes(outcome.value) : null;
    const failure = outcome.kind === "failure" ? outcome : null;
    this.#rows.insert(compositeKey(service, key, name), {
      service,
      objectKey: key,
      name,
      kind: outcome.kind,
      value,
      failureCode: failure?.code ?? null,
      failureMessage: failure?.message ?? null,
    });
  }

  clearAll(service: string, key: string): void {
    for (const name of this.#byObject.list(compositeKey(service, key))) this.#rows.delete(compositeKey(service, key, name));
  }

  get parts(): readonly TablePart[] {
    return [this.#rows];
  }

  load(rows: Columns<PromiseImage>): void {
    for (const r of fromColumns(rows)) this.#rows.load(compositeKey(r.service, r.objectKey, r.name), r);
  }

  forget(belongs: (row: PromiseImage) => boolean): void {
    this.#rows.forget(belongs);
  }

  changes(): TableChanges<PromiseImage, "service" | "objectKey" | "name"> {
    return tableChanges(
      ["service", "objectKey", "name", "kind", "value", "failureCode", "failureMessage"],
      ["service", "objectKey", "name"],
      this.#rows.changes(),
    );
  }
}

/** Who waits for a promise or an outcome, per target in the order they came. */
export class MemoryWaiterTable implements WaiterTable {
  readonly #byTarget = new OrderedGroups<WaiterImage, string, number>("waiters by target", (row) => [compositeKey(row.kind, row.target), row.seq], byNumber);
  readonly #rows: RowMap<number, WaiterImage>;

  constructor(private readonly context: StoreContext) {
    this.#rows = new RowMap(context, "waiters", (r) => rowBytes(r.kind, r.target, r.waiterId), [this.#byTarget]);
  }

  add(kind: WaiterKind, target: string, waiter: Waiter): void {
    const seq = this.context.nextSeq("waiter");
    this.#rows.insert(seq, {
      seq,
      kind,
      target,
      waiterId: waiter.waiterId,
      completionId: waiter.completionId,
      notificationType: waiter.notificationType,
    });
  }

  take(kind: WaiterKind, target: string): Waiter[] {
    return this.#byTarget.list(compositeKey(kind, target)).map((seq) => {
      const row = this.#rows.delete(seq)!;
      return { waiterId: row.waiterId as InvocationId, completionId: row.completionId, notificationType: row.notificationType };
    });
  }

  get parts(): readonly TablePart[] {
    return [this.#rows];
  }

  load(rows: Columns<WaiterImage>): void {
    for (const r of fromColumns(rows)) this.#rows.load(r.seq, r);
  }

  forget(belongs: (row: WaiterImage) => boolean): void {
    this.#rows.forget(belongs);
  }

  changes(): TableChanges<WaiterImage, "seq"> {
    return tableChanges(["seq", "kind", "target", "waiterId", "completionId", "notificationType"], ["seq"], this.#rows.changes());
  }
}
