import pg from "pg";
import { toError } from "../protocol/errors.js";
import { PostgresArgumentError, StoreUnavailableError, StoreUrlError } from "./errors.js";

/** What a query or transaction step runs on: a pooled connection (pg's), inside this folder only. */
export type Queryable = pg.ClientBase;

export interface PostgresOptions {
  /**
   * `postgres://user[:password]@host[:port]/database` (or `postgresql://`). Parameters in the URL, such
   * as `sslmode` or `application_name`, win over the options below.
   */
  readonly url: string;
  /** Shown in `pg_stat_activity`, so an operator sees which node holds which connections. Default "stet". */
  readonly applicationName?: string;
  /**
   * Connections this node opens at most. Default 10: one write transaction at a time per node, lease
   * renewals, and reads from ingress, admin and `/query`; three nodes stay well under PostgreSQL's
   * default max_connections of 100.
   */
  readonly maxConnections?: number;
  /**
   * Server-side limit of one statement, in ms. Default 10000, the default lease: a statement that runs
   * longer than a lease is of no use to the leader that sent it.
   */
  readonly statementTimeoutMs?: number;
  /**
   * How long PostgreSQL keeps a transaction that waits on its client, in ms. Default 5000. A node paused
   * (SIGSTOP) inside a transaction keeps its lease rows locked by the fence; this ends that transaction,
   * and its locks, before the lease runs out, so that another node can take the partition over. Keep it
   * below the lease length.
   */
  readonly idleInTransactionTimeoutMs?: number;
  /** How long to wait for a new connection (TCP and PostgreSQL's startup), in ms. Default 5000. */
  readonly connectTimeoutMs?: number;
  /**
   * Told of errors on idle connections (PostgreSQL restarted, network gone). The pool drops such a
   * connection and opens a new one for the next query, so this is for logging. Default: ignored.
   */
  readonly onIdleError?: (error: Error) => void;
  /**
   * Told when PostgreSQL stops answering (`error`: why) and when it answers again (`undefined`), as seen
   * by the node's own statements: once per change, not per failed statement. For logging. Default: ignored.
   */
  readonly onAvailabilityChange?: (error: StoreUnavailableError | undefined) => void;
}

const DEFAULTS = {
  applicationName: "stet",
  maxConnections: 10,
  statementTimeoutMs: 10_000,
  idleInTransactionTimeoutMs: 5_000,
  connectTimeoutMs: 5_000,
} as const;

/**
 * A node's connections to the cluster's PostgreSQL database. Every failure to reach PostgreSQL, at
 * connect time or later, comes out as StoreUnavailableError (STET_STORE_UNAVAILABLE, 503) with the
 * driver's error as `cause`; other errors (SQL errors, typed errors thrown by a transaction's work) pass
 * through unchanged.
 */
export class PostgresDatabase implements AsyncDisposable {
  /** `host:port/database`, without user or password: what error messages name. */
  readonly target: string;
  readonly #pool: pg.Pool;
  readonly #onAvailabilityChange: ((error: StoreUnavailableError | undefined) => void) | undefined;
  #unavailable: StoreUnavailableError | undefined;
  #closing: Promise<void> | undefined;

  private constructor(target: string, pool: pg.Pool, onAvailabilityChange: PostgresOptions["onAvailabilityChange"]) {
    this.target = target;
    this.#pool = pool;
    this.#onAvailabilityChange = onAvailabilityChange;
  }

  /**
   * Why PostgreSQL cannot be reached, judged by the outcome of this node's last statement or connection
   * attempt; undefined while it answers. Free to read: health checks call it on every request.
   */
  get unavailable(): StoreUnavailableError | undefined {
    return this.#unavailable;
  }

  /** Opens a pool on `options.url` and checks that PostgreSQL answers. */
  static async connect(options: PostgresOptions): Promise<PostgresDatabase> {
    const target = describeTarget(options.url);
    const settings = { ...DEFAULTS, ...definedOnly(options) };
    for (const key of ["maxConnections", "statementTimeoutMs", "idleInTransactionTimeoutMs", "connectTimeoutMs"] as const) {
      if (!Number.isSafeInteger(settings[key]) || settings[key] <= 0) {
        throw new PostgresArgumentError(`${key} must be a positive integer, got ${String(settings[key])}`);
      }
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      application_name: settings.applicationName,
      max: settings.maxConnections,
      statement_timeout: settings.statementTimeoutMs,
      idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs,
      connectionTimeoutMillis: settings.connectTimeoutMs,
      // Notices a dead peer (a host gone, a cable cut) on idle connections in seconds, not hours.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // Without a listener, an idle connection's error (PostgreSQL restarted) would crash the process.
    pool.on("error", (error) => options.onIdleError?.(error));
    const db = new PostgresDatabase(target, pool, options.onAvailabilityChange);
    try {
      await db.query("SELECT 1");
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return db;
  }

  /** One statement on any pooled connection; `values` are its `$1…` parameters. */
  /** One statement on a pooled connection; `{ name, text }` prepares it once per connection. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    statement: string | { readonly name: string; readonly text: string },
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      const config = typeof statement === "string" ? { text: statement } : statement;
      const result = await this.#pool.query<R>({ ...config, values: values as unknown[] | undefined });
      this.#answered(undefined);
      return result;
    } catch (error) {
      throw this.#answered(this.classify(error));
    }
  }

  /**
   * Runs `work` in one transaction on one connection: committed when `work` resolves, rolled back when
   * it throws (its error is rethrown). A connection that failed in the middle is discarded, not reused.
   */
  async transaction<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw this.#answered(this.classify(error));
    }
    // While checked out, a connection's error (PostgreSQL restarted between two statements) is emitted
    // on the client, and with no listener it would crash the process; the next statement fails anyway.
    const ignore = () => undefined;
    client.on("error", ignore);
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      this.#answered(undefined);
      return result;
    } catch (error) {
      broken = await client.query("ROLLBACK").then(
        () => undefined,
        (rollbackError: unknown) => toError(rollbackError),
      );
      throw this.#answered(this.classify(error));
    } finally {
      client.off("error", ignore);
      client.release(broken);
    }
  }

  /** StoreUnavailableError when `error` means PostgreSQL could not be reached; else `error` itself. */
  classify(error: unknown): Error {
    return isUnavailable(error) ? new StoreUnavailableError(this.target, { cause: error }) : toError(error);
  }

  /**
   * Records how PostgreSQL answered: an error other than StoreUnavailableError (a SQL error, a lost
   * lease) still means it was reached. Returns `error`, for `throw`.
   */
  #answered<E extends Error | undefined>(error: E): E {
    const unavailable = error instanceof StoreUnavailableError ? error : undefined;
    const changed = (unavailable === undefined) !== (this.#unavailable === undefined);
    this.#unavailable = unavailable;
    if (changed) this.#onAvailabilityChange?.(unavailable);
    return error;
  }

  /** Waits for checked-out connections to come back, then closes every connection. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#pool.end();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Network errors and pg's messages for a connection that could not be made or was lost. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);
const LOST_CONNECTION = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable)/;

/**
 * SQLSTATEs of an unreachable server: class 08 (connection exception), 57P01–57P03 (shutting down,
 * crashed, starting up), 53300 (too many connections).
 */
function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (NETWORK_CODES.has(code) || code.startsWith("08") || ["57P01", "57P02", "57P03", "53300"].includes(code)) return true;
  }
  if (LOST_CONNECTION.test(error.message)) return true;
  return error instanceof AggregateError && error.errors.some(isUnavailable);
}

function describeTarget(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreUrlError(`${JSON.stringify(redact(url))} is not a URL`);
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new StoreUrlError(`${JSON.stringify(redact(url))} is not a postgres:// URL`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (parsed.hostname === "" || database === "") throw new StoreUrlError(`${JSON.stringify(redact(url))} names no host or no database`);
  return `${parsed.hostname}:${parsed.port || "5432"}/${database}`;
}

/** The URL without its password, for messages and logs. */
function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@]*@/i, "$1:***@");
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
