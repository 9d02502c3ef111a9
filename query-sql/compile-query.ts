import { parse } from "libpg-query";
import { QUERY_ERROR_CODES, QueryError } from "../partition/query/query-errors.js";
import { translateQuery, type TranslatedQuery, type TranslateOptions } from "./sql-translate.js";

/**
 * A `/query` statement compiled for a backend (`options.dialect`): parsed by PostgreSQL's own parser
 * (libpg-query, WebAssembly; the CLI and the web UI write DataFusion's PostgreSQL dialect), then
 * translated. A parse error is a QueryError with the parser's message and position.
 */
export async function compileQuery(sql: string, options: TranslateOptions): Promise<TranslatedQuery> {
  let parsed: Awaited<ReturnType<typeof parse>>;
  try {
    parsed = await parse(sql);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    throw new QueryError(QUERY_ERROR_CODES.invalid, `SQL error: ${message}${position === undefined ? "" : ` (at character ${position + 1})`}`, { cause: error });
  }
  return translateQuery(parsed as unknown as Record<string, unknown>, options);
}
