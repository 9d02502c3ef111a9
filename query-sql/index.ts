/**
 * The SQL side of `POST /query` that both stores share: a statement parsed by PostgreSQL's own parser
 * (the CLI and the web UI write DataFusion's PostgreSQL dialect) and translated for a backend, whose
 * dialect spells what it writes its own way (`SqlDialect`); and the system views' definitions over the
 * store's tables (`ViewDialect`). Only the storage folders (sqlite/, postgres/) use it.
 */
export { compileQuery } from "./compile-query.js";
export type { TranslatedQuery, TranslateOptions } from "./sql-translate.js";
export type { ComputedColumn, FromItem, SqlDialect } from "./sql-dialect.js";
export type { ViewDialect } from "./view-dialect.js";
export { columnsOf, systemViewSelects, type ViewSelect } from "./system-views-sql.js";
