import { sendForJson } from "./http.js";

/** A row of `POST /query` with JSON: stet, like Restate, leaves null columns out of the object. */
export type QueryRow = Readonly<Record<string, unknown>>;

/** Runs one SELECT through `POST /query` and returns its rows. */
export async function runQuery<Row = QueryRow>(sql: string, signal?: AbortSignal): Promise<Row[]> {
  const body = await sendForJson<{ rows: Row[] }>("/query", { method: "POST", body: { query: sql }, signal });
  return body.rows;
}

/** A SQL string literal (PostgreSQL's dialect: quotes doubled), for values typed by the person. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A non-negative integer for LIMIT and OFFSET; anything else is a bug in the caller. */
export function sqlInteger(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a row count: ${value}`);
  return String(value);
}
