/**
 * What differs between SQLite's and PostgreSQL's system views (system-views-sql.ts): how each reads
 * what its store keeps. The views' meaning (which stored column is which system column) is written once.
 */
export interface ViewDialect {
  /** One of the store's own tables (`main.invocations`, `public.invocations`). */
  table(name: string): string;
  /** One of the system views, as another view names it. */
  view(name: string): string;
  /** The partition key (u64) an invocation id carries. */
  partitionKeyOfId(id: string): string;
  /** The partition key (u64) of an object's, or a workflow's, key. */
  partitionKeyFor(service: string, key: string): string;
  /** Stored ms since the epoch as the query side's timestamp. */
  timestamp(ms: string): string;
  /** Bytes as text when they are UTF-8, else NULL. */
  utf8(bytes: string): string;
  /** A state key's bytes as text. */
  keyText(bytes: string): string;
  /** A boolean field of a JSON text column, NULL when absent. */
  jsonBool(json: string, field: string): string;
  bool(value: boolean): string;
  /** One column of a subquery's rows as a list value (`sys_deployment.services`), in the column's code point order. */
  list(column: string, from: string): string;
  /** A tab character (the callee's fields are joined with it). */
  readonly tab: string;
  /** A command's name (field 12 of its message) from its type and frame; "" when it has none. */
  entryName(type: string, frame: string): string;
  /** The invocation id a CallInvocationId notification's frame carries. */
  calleeId(frame: string): string;
  /** `entry_json` (`entry_lite_json` when `lite`) from a journal row and its callee (journal-entry-sql.ts). */
  entryJson(type: string, frame: string, callee: string, lite: boolean): string;
}
