import type { LiveInvocationState } from "../../invoker/index.js";

/** The query process's argument for a PostgreSQL store (a SQLite store's is its file). */
export const POSTGRES_ARGUMENT = "postgres";
/** The environment variable that hands the query process the PostgreSQL store's URL. */
export const POSTGRES_URL_VARIABLE = "STET_QUERY_POSTGRES_URL";

/** How a `/query` result is written: JSON rows, or an Arrow IPC stream. */
export type ResultFormat = "json" | "arrow";

/** From the server to its query process. */
export type ToQueryProcess =
  | {
      readonly type: "query";
      readonly id: number;
      readonly sql: string;
      readonly format: ResultFormat;
      readonly live: readonly LiveInvocationState[];
      readonly limitMs: number;
    }
  /** The server has passed the last chunk on: send the next (one chunk in flight bounds both sides' memory). */
  | { readonly type: "ack"; readonly id: number }
  /** The caller went away: stop the query. */
  | { readonly type: "cancel"; readonly id: number };

/** From the query process to the server. */
export type FromQueryProcess =
  | { readonly type: "ready" }
  /** The statement compiled and its first rows were read: the answer is a success; chunks follow. */
  | { readonly type: "head"; readonly id: number; readonly contentType: string }
  | { readonly type: "chunk"; readonly id: number; readonly bytes: Uint8Array }
  | { readonly type: "end"; readonly id: number }
  /** Before `head`: the query failed and the caller gets this error. After: the body is cut short. */
  | { readonly type: "error"; readonly id: number; readonly status: number; readonly code: string; readonly message: string };
