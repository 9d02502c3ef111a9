import type { Database } from "better-sqlite3";
import { applyMigrations } from "./migrations.js";
import { PARTITION_MIGRATIONS } from "./partition-schema.js";
import { InvocationTable } from "./invocation-table.js";
import { IdempotencyTable, PromiseTable, WaiterTable } from "./keyed-tables.js";
import { LockTable, StateTable } from "./object-tables.js";
import { OutboxTable, TimerTable } from "./schedule-tables.js";
import { StateMutationTable } from "./state-mutation-table.js";

/**
 * All partition state, one table class per concern. Nothing here opens transactions: the partition's
 * apply step runs inside the group commit, which makes each command atomic.
 */
export class PartitionStore {
  readonly invocations: InvocationTable;
  readonly state: StateTable;
  readonly locks: LockTable;
  readonly timers: TimerTable;
  readonly outbox: OutboxTable;
  readonly idempotency: IdempotencyTable;
  readonly promises: PromiseTable;
  readonly waiters: WaiterTable;
  readonly stateMutations: StateMutationTable;

  constructor(readonly db: Database) {
    applyMigrations(db, "partition", PARTITION_MIGRATIONS);
    this.invocations = new InvocationTable(db);
    this.state = new StateTable(db);
    this.locks = new LockTable(db);
    this.timers = new TimerTable(db);
    this.outbox = new OutboxTable(db);
    this.idempotency = new IdempotencyTable(db);
    this.promises = new PromiseTable(db);
    this.waiters = new WaiterTable(db);
    this.stateMutations = new StateMutationTable(db);
  }
}
