import { QUERY_ERROR_CODES } from "../../partition/query/query-errors.js";
import type { SystemTablesReader } from "../../partition/query/system-tables-reader.js";
import { SqliteSystemTables } from "../../sqlite/query/sqlite-system-tables.js";
import { StetError } from "../../protocol/errors.js";
import { ArrowStreamEncoder } from "./arrow-stream.js";
import { JsonRowsEncoder } from "./json-rows.js";
import { POSTGRES_ARGUMENT, POSTGRES_URL_VARIABLE, type FromQueryProcess, type ToQueryProcess } from "./query-messages.js";
import type { ResultEncoder } from "./result-encoder.js";

/**
 * The query process: runs `/query` statements over a read-only connection to the store and streams the
 * encoded results to the server, one at a time. It is a process of its own, on idle CPU time only (SCHED_IDLE), so
 * that a heavy query (a full journal scan) never takes the event loop, or a core, from the engine; and
 * its memory and crashes are its own. It exits when the server goes (its IPC channel closes).
 */

/**
 * Rows per batch. Restate (DataFusion) sends batches of 128; readers take any size, and an Arrow record
 * batch costs ~0.2 ms of its own to encode, which at 128 rows was a third of a journal scan's encoding.
 */
const BATCH_ROWS = 1024;
/** Bytes gathered before a chunk is sent. */
const CHUNK_BYTES = 64 * 1024;

const store = process.argv[2];
const postgresUrl = process.env[POSTGRES_URL_VARIABLE];
if (store === undefined || process.send === undefined || (store === POSTGRES_ARGUMENT && postgresUrl === undefined)) {
  process.stderr.write("stet query process: start it from the server (it needs an IPC channel and the store)\n");
  process.exit(2);
}
const send = (message: FromQueryProcess): void => void process.send!(message);
// PostgreSQL's driver is loaded only for a PostgreSQL store.
const reader: Promise<SystemTablesReader> =
  store === POSTGRES_ARGUMENT
    ? import("../../postgres/query/pg-system-tables.js").then(({ PgSystemTables }) => new PgSystemTables(postgresUrl!))
    : Promise.resolve(new SqliteSystemTables(store));
const acks = new Map<number, () => void>();
const cancelled = new Set<number>();
let queue: Promise<void> = Promise.resolve();

process.on("disconnect", () => {
  void reader.then((r) => r.close()).finally(() => process.exit(0));
});
process.on("message", (message: ToQueryProcess) => {
  switch (message.type) {
    case "query":
      queue = queue.then(() => run(message));
      break;
    case "ack":
      acks.get(message.id)?.();
      break;
    case "cancel":
      cancelled.add(message.id);
      acks.get(message.id)?.();
      break;
  }
});
send({ type: "ready" });

async function run(request: Extract<ToQueryProcess, { type: "query" }>): Promise<void> {
  const { id } = request;
  let started = false;
  try {
    const result = await (await reader).query({ sql: request.sql, live: request.live, limitMs: request.limitMs, batchSize: BATCH_ROWS });
    const encoder: ResultEncoder = request.format === "json" ? new JsonRowsEncoder(result.columns) : new ArrowStreamEncoder(result.columns);
    send({ type: "head", id, contentType: encoder.contentType });
    started = true;
    try {
      let pending: Uint8Array[] = [encoder.start()];
      let size = pending[0]!.length;
      let open = true;
      for (let next = await result.batches.next(); next.done !== true; next = await result.batches.next()) {
        const bytes = encoder.batch(next.value);
        pending.push(bytes);
        size += bytes.length;
        if (size < CHUNK_BYTES) continue;
        open = await sendChunk(id, pending);
        if (!open) break;
        pending = [];
        size = 0;
      }
      if (open) {
        pending.push(encoder.end());
        await sendChunk(id, pending);
      }
      // Also after a cancel: the server waits for it before it sends the next query.
      send({ type: "end", id });
    } finally {
      await result.batches.return?.();
    }
  } catch (error) {
    send({ type: "error", id, ...describe(error, started) });
  } finally {
    cancelled.delete(id);
  }
}

/** Sends the bytes and waits until the server wants more; false when the query was cancelled. */
async function sendChunk(id: number, parts: Uint8Array[]): Promise<boolean> {
  if (cancelled.has(id)) return false;
  const acked = new Promise<void>((resolve) => acks.set(id, resolve));
  send({ type: "chunk", id, bytes: Buffer.concat(parts) });
  await acked;
  acks.delete(id);
  return !cancelled.has(id);
}

function describe(error: unknown, started: boolean): { status: number; code: string; message: string } {
  if (error instanceof StetError) return { status: error.status, code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  // SQLite's own errors in a statement the translation let through are the query's fault.
  const sqliteCode = (error as { code?: unknown }).code;
  if (sqliteCode === "SQLITE_ERROR") return { status: 400, code: QUERY_ERROR_CODES.invalid, message: `SQL error: ${message}` };
  return { status: 500, code: QUERY_ERROR_CODES.failed, message: `${started ? "the query failed while streaming" : "the query failed"}: ${message}` };
}
