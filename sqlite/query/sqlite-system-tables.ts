import BetterSqlite3, { type Database } from "better-sqlite3";
import { compileQuery } from "./compile-query.js";
import { fillInvocationState } from "./live-invocation-state.js";
import { registerQueryFunctions, type QueryClock } from "./sqlite-functions.js";
import { installSystemViews } from "./system-views.js";
import type { QueryRows, SystemTablesQuery, SystemTablesReader } from "../../partition/query/system-tables-reader.js";

/**
 * The system tables of a SQLite store, read through a read-only connection of their own (a reader never
 * blocks the engine's writer in WAL mode, nor can it change a row): TEMP views over the store's tables,
 * translated statements, and the live invoker state in a temp table filled per query.
 */
export class SqliteSystemTables implements SystemTablesReader {
  readonly #db: Database;
  readonly #clock: QueryClock;

  constructor(dbFile: string) {
    this.#db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
    // Waits for a checkpoint or a recovering writer instead of failing with SQLITE_BUSY.
    this.#db.pragma("busy_timeout = 5000");
    this.#clock = registerQueryFunctions(this.#db);
    installSystemViews(this.#db);
    // DataFusion's LIKE is case-sensitive (ILIKE is translated apart).
    this.#db.pragma("case_sensitive_like = ON");
  }

  async query(request: SystemTablesQuery): Promise<QueryRows> {
    const compiled = await compileQuery(request.sql, { now: Date.now() });
    this.#clock.limit(request.limitMs);
    fillInvocationState(this.#db, request.live);
    // Integers as bigints: partition keys and other u64 values are exact beyond 2^53.
    const statement = this.#db.prepare(compiled.sql).raw(true).safeIntegers(true);
    const rows = statement.iterate() as IterableIterator<unknown[]>;
    const batches = batchesOf(rows, request.batchSize);
    // The first batch is read now, so that an error in running the statement reaches the caller before
    // it has answered anything.
    const read = withFirstRead(batches);
    return { columns: compiled.columns, batches: { next: async () => read.next(), return: async () => read.return!() } };
  }

  close(): void {
    this.#db.close();
  }
}

function* batchesOf<T>(rows: IterableIterator<T>, size: number): Generator<T[], void, undefined> {
  let batch: T[] = [];
  try {
    for (const row of rows) {
      batch.push(row);
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  } finally {
    // Ends the statement (and its read transaction) when the caller stops early.
    rows.return?.();
  }
}

/** Reads the first batch now; the iterator yields it first. */
function withFirstRead<T>(batches: Generator<T, void, undefined>): Iterator<T, void, undefined> {
  let first: IteratorResult<T, void> | undefined = batches.next();
  return {
    next: () => {
      const result = first ?? batches.next();
      first = undefined;
      return result;
    },
    return: () => {
      first = undefined;
      batches.return();
      return { done: true, value: undefined };
    },
  };
}
