import type { LiveInvocationState } from "../../invoker/index.js";
import type { ColumnDef } from "./system-tables.js";

/**
 * The read side of `POST /query`: runs one SQL statement over the system tables of a store. The storage
 * backend serves it (sqlite/query/sqlite-system-tables.ts, postgres/query/pg-system-tables.ts); the
 * server only encodes what it yields.
 */
export interface SystemTablesReader {
  /**
   * Compiles and starts the statement. Errors in the SQL, and any error while producing the first rows,
   * surface here (as QueryError), before a caller has sent anything; later ones from the iterator.
   */
  query(request: SystemTablesQuery): Promise<QueryRows>;
  close(): Promise<void> | void;
}

export interface SystemTablesQuery {
  readonly sql: string;
  /** The invoker's live state, for `sys_invocation_state` (and the computed status of `sys_invocation`). */
  readonly live: readonly LiveInvocationState[];
  /** The query stops with STET_QUERY_TIMEOUT once it has run this long. */
  readonly limitMs: number;
  /** Rows per batch. */
  readonly batchSize: number;
}

export interface QueryRows {
  readonly columns: readonly ColumnDef[];
  /** Batches of rows, values in column order; `return()` stops the query early. */
  readonly batches: AsyncIterator<readonly (readonly unknown[])[], void, undefined>;
}
