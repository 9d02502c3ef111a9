import pg from "pg";
import type { LiveInvocationState } from "../../invoker/index.js";
import { partitionKeyOf, type InvocationId } from "../../protocol/index.js";
import { QUERY_ERROR_CODES, QueryError, queryTimedOut } from "../../partition/query/query-errors.js";
import type { QueryRows, SystemTablesQuery, SystemTablesReader } from "../../partition/query/system-tables-reader.js";
import { compileQuery } from "../../query-sql/index.js";
import { isUnavailable } from "../connect.js";
import { LIVE_STATE_SETTING, PG_DIALECT } from "./pg-dialect.js";
import { normalizeRow, queryTypeParser } from "./pg-values.js";

type Row = unknown[];

/** The cursor a query's rows are fetched from, in its own transaction. */
const CURSOR = "stet_query_rows";

/**
 * The system tables of the cluster's PostgreSQL database (query-schema.ts), read through a connection
 * of the query process's own. Each statement runs in a read-only transaction (a write would fail there
 * even if the translation let one through) under statement_timeout, its rows fetched from a cursor in
 * batches as the caller reads them. The connection opens on the first query and again after it was
 * lost; a query while PostgreSQL is away answers 503.
 */
export class PgSystemTables implements SystemTablesReader {
  readonly #url: string;
  #client: pg.Client | undefined;
  #closed = false;

  constructor(url: string) {
    this.#url = url;
  }

  async query(request: SystemTablesQuery): Promise<QueryRows> {
    // Compiled before PostgreSQL is asked anything: what is not one SELECT never reaches it.
    const compiled = await compileQuery(request.sql, { now: Date.now(), dialect: PG_DIALECT });
    const client = await this.#connect();
    const deadline = Date.now() + request.limitMs;
    const fetch = async (): Promise<Row[]> => {
      const left = deadline - Date.now();
      if (left <= 0) throw queryTimedOut(request.limitMs);
      // The limit counts the whole query, its reading included: each fetch may take what is left of it.
      const results = (await client.query({ text: `SET LOCAL statement_timeout = ${left}; FETCH ${request.batchSize} FROM ${CURSOR}`, rowMode: "array" })) as unknown as pg.QueryResult<Row>[];
      return results[1]!.rows.map((row) => normalizeRow(row, compiled.columns));
    };
    let first: Row[];
    try {
      await client.query(
        // A caller that stops reading ends the transaction (and its snapshot) by the time limit.
        `BEGIN TRANSACTION READ ONLY; SET LOCAL idle_in_transaction_session_timeout = ${request.limitMs}; SET LOCAL statement_timeout = ${request.limitMs}`,
      );
      // length(): the answer is a number, not the setting sent back.
      await client.query("SELECT length(set_config($1, $2, TRUE))", [LIVE_STATE_SETTING, liveStateJson(request.live)]);
      await client.query(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${compiled.sql}`);
      // The first batch is read now, so that an error in running the statement reaches the caller
      // before it has answered anything.
      first = await fetch();
    } catch (error) {
      throw await this.#failed(client, error, request.limitMs);
    }
    return { columns: compiled.columns, batches: this.#batches(client, first, fetch, request.limitMs) };
  }

  async *#batches(client: pg.Client, first: Row[], fetch: () => Promise<Row[]>, limitMs: number): AsyncGenerator<Row[], void, undefined> {
    let failed = false;
    try {
      for (let batch = first; batch.length > 0; batch = await fetch()) yield batch;
    } catch (error) {
      failed = true;
      throw await this.#failed(client, error, limitMs);
    } finally {
      // All read, or the caller stopped early: the transaction ends, and the cursor with it.
      if (!failed) await this.#end(client);
    }
  }

  /** Ends the query's transaction; a connection that cannot is dropped (the next query opens one). */
  async #end(client: pg.Client): Promise<void> {
    try {
      await client.query("ROLLBACK");
    } catch {
      this.#drop(client);
    }
  }

  /** The query's error as the caller should see it; the transaction is ended. */
  async #failed(client: pg.Client, error: unknown, limitMs: number): Promise<Error> {
    if (isUnavailable(error)) {
      this.#drop(client);
      return new QueryError(QUERY_ERROR_CODES.unavailable, `PostgreSQL cannot be reached: ${describe(error)}`, { cause: error });
    }
    await this.#end(client);
    if (error instanceof QueryError) return error;
    const code = (error as { code?: unknown }).code;
    if (code === "57014") return queryTimedOut(limitMs);
    if (typeof code === "string" && INVALID_QUERY_CLASSES.has(code.slice(0, 2))) {
      return new QueryError(QUERY_ERROR_CODES.invalid, `SQL error: ${describe(error)}`, { cause: error });
    }
    return new QueryError(QUERY_ERROR_CODES.failed, `the query failed: ${describe(error)}`, { cause: error });
  }

  async #connect(): Promise<pg.Client> {
    if (this.#closed) throw new QueryError(QUERY_ERROR_CODES.unavailable, "the query process is closing");
    if (this.#client !== undefined) return this.#client;
    const client = new pg.Client({
      connectionString: this.#url,
      application_name: "stet query",
      connectionTimeoutMillis: 5_000,
      types: { getTypeParser: ((oid: number, format?: string) => queryTypeParser(oid) ?? pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser },
    });
    // Without a listener, a lost connection's error would end the process; the next query reconnects.
    client.on("error", () => this.#drop(client));
    try {
      await client.connect();
      // Timestamps are read as UTC (pg-values.ts), and date_trunc('day', …) cuts days in UTC, as DataFusion does.
      // Backslashes in string literals are plain characters, as the translation quotes them.
      await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET standard_conforming_strings = on");
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new QueryError(QUERY_ERROR_CODES.unavailable, `PostgreSQL cannot be reached: ${describe(error)}`, { cause: error });
    }
    this.#client = client;
    return client;
  }

  #drop(client: pg.Client): void {
    if (this.#client === client) this.#client = undefined;
    void client.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}

/**
 * SQLSTATE classes of a statement's own fault: 22 data exception (a bad cast, division by zero), 42
 * syntax error or access rule violation (an operator or function that does not exist for these types),
 * 21 cardinality violation (a scalar subquery of several rows), 2F/38/39 errors in a function it called.
 */
const INVALID_QUERY_CLASSES = new Set(["21", "22", "2F", "38", "39", "42"]);

/** This node's live invocations as `sys_invocation_state`'s view reads them (query-schema.ts). */
function liveStateJson(states: readonly LiveInvocationState[]): string {
  return JSON.stringify(
    states.map((s) => ({
      partition_key: partitionKeyText(s.id),
      id: s.id,
      in_flight: s.inFlight,
      retry_count: s.retryCount,
      last_start_at: s.lastStartAt,
      next_retry_at: s.nextRetryAt,
      last_attempt_deployment_id: s.lastAttemptDeploymentId,
      last_attempt_server: s.lastAttemptServer,
      last_failure: s.lastFailure,
      last_failure_error_code: s.lastFailureErrorCode,
    })),
  );
}

function partitionKeyText(id: string): string | null {
  try {
    return partitionKeyOf(id as InvocationId).toString();
  } catch {
    return null;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
