import type { Database, Statement } from "better-sqlite3";
import type { IdempotencyTable, PromiseTable, Waiter, WaiterKind, WaiterTable } from "../../partition/storage/keyed-tables.js";
import type { InvocationId } from "../../protocol/index.js";
import type { InvocationOutcome } from "../../partition/types.js";

/** Idempotency keys and workflow runs: which invocation a key (or workflow id) already started. */
export class SqliteIdempotencyTable implements IdempotencyTable {
  readonly #get: Statement;
  readonly #put: Statement;
  readonly #getWorkflow: Statement;
  readonly #putWorkflow: Statement;
  readonly #deleteFor: Statement;
  readonly #deleteWorkflowFor: Statement;

  constructor(db: Database) {
    this.#get = db.prepare(
      "SELECT invocation_id FROM idempotency WHERE service = ? AND object_key = ? AND handler = ? AND idempotency_key = ?",
    );
    this.#put = db.prepare(
      "INSERT INTO idempotency (service, object_key, handler, idempotency_key, invocation_id) VALUES (?, ?, ?, ?, ?)",
    );
    this.#getWorkflow = db.prepare("SELECT invocation_id FROM workflows WHERE service = ? AND object_key = ?");
    this.#putWorkflow = db.prepare("INSERT INTO workflows (service, object_key, invocation_id) VALUES (?, ?, ?)");
    this.#deleteFor = db.prepare("DELETE FROM idempotency WHERE invocation_id = ?");
    this.#deleteWorkflowFor = db.prepare("DELETE FROM workflows WHERE invocation_id = ?");
  }

  get(service: string, key: string, handler: string, idempotencyKey: string): InvocationId | undefined {
    const row = this.#get.get(service, key, handler, idempotencyKey) as { invocation_id: string } | undefined;
    return row?.invocation_id as InvocationId | undefined;
  }

  put(service: string, key: string, handler: string, idempotencyKey: string, id: InvocationId): void {
    this.#put.run(service, key, handler, idempotencyKey, id);
  }

  workflowRun(service: string, key: string): InvocationId | undefined {
    return (this.#getWorkflow.get(service, key) as { invocation_id: string } | undefined)?.invocation_id as InvocationId | undefined;
  }

  putWorkflowRun(service: string, key: string, id: InvocationId): void {
    this.#putWorkflow.run(service, key, id);
  }

  /** Forgets every key that points at `id` (its retention ended or it was purged). */
  deleteFor(id: InvocationId): void {
    this.#deleteFor.run(id);
    this.#deleteWorkflowFor.run(id);
  }
}

/** Durable promises of workflows, per (workflow, key, name). */
export class SqlitePromiseTable implements PromiseTable {
  readonly #get: Statement;
  readonly #put: Statement;
  readonly #clearAll: Statement;

  constructor(db: Database) {
    this.#get = db.prepare("SELECT kind, value, failure_code, failure_message FROM promises WHERE service = ? AND object_key = ? AND name = ?");
    this.#put = db.prepare(
      "INSERT INTO promises (service, object_key, name, kind, value, failure_code, failure_message) VALUES (?, ?, ?, ?, ?, ?, ?)",
    );
    this.#clearAll = db.prepare("DELETE FROM promises WHERE service = ? AND object_key = ?");
  }

  get(service: string, key: string, name: string): InvocationOutcome | undefined {
    const row = this.#get.get(service, key, name) as
      | { kind: string; value: Buffer | null; failure_code: number | null; failure_message: string | null }
      | undefined;
    if (row === undefined) return undefined;
    return row.kind === "value"
      ? { kind: "value", value: row.value ?? new Uint8Array() }
      : { kind: "failure", code: row.failure_code ?? 500, message: row.failure_message ?? "" };
  }

  put(service: string, key: string, name: string, outcome: InvocationOutcome): void {
    this.#put.run(
      service,
      key,
      name,
      outcome.kind,
      outcome.kind === "value" ? outcome.value : null,
      outcome.kind === "failure" ? outcome.code : null,
      outcome.kind === "failure" ? outcome.message : null,
    );
  }

  clearAll(service: string, key: string): void {
    this.#clearAll.run(service, key);
  }
}

export class SqliteWaiterTable implements WaiterTable {
  readonly #insert: Statement;
  readonly #take: Statement;
  readonly #delete: Statement;

  constructor(db: Database) {
    this.#insert = db.prepare(
      "INSERT INTO waiters (kind, target, waiter_id, completion_id, notification_type) VALUES (?, ?, ?, ?, ?)",
    );
    this.#take = db.prepare("SELECT waiter_id, completion_id, notification_type FROM waiters WHERE kind = ? AND target = ? ORDER BY seq");
    this.#delete = db.prepare("DELETE FROM waiters WHERE kind = ? AND target = ?");
  }

  add(kind: WaiterKind, target: string, waiter: Waiter): void {
    this.#insert.run(kind, target, waiter.waiterId, waiter.completionId, waiter.notificationType);
  }

  /** Removes and returns everyone waiting on `target`. */
  take(kind: WaiterKind, target: string): Waiter[] {
    const rows = this.#take.all(kind, target) as { waiter_id: string; completion_id: number; notification_type: number }[];
    if (rows.length > 0) this.#delete.run(kind, target);
    return rows.map((r) => ({ waiterId: r.waiter_id as InvocationId, completionId: r.completion_id, notificationType: r.notification_type }));
  }
}
