import { compileQuery as compile, type TranslatedQuery } from "../../query-sql/index.js";
import { SQLITE_DIALECT } from "./sqlite-dialect.js";

/** A `/query` statement compiled for SQLite's system views (query-sql/compile-query.ts). */
export function compileQuery(sql: string, options: { readonly now: number }): Promise<TranslatedQuery> {
  return compile(sql, { now: options.now, dialect: SQLITE_DIALECT });
}
