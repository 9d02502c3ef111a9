import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { setPriority } from "node:os";
import { Readable } from "node:stream";
import type { LiveInvocationState } from "../../invoker/index.js";
import { QUERY_ERROR_CODES, QueryError, type QueryErrorCode } from "../../partition/query/query-errors.js";
import { StetError } from "../../protocol/errors.js";
import { distFile } from "../version.js";
import { POSTGRES_ARGUMENT, POSTGRES_URL_VARIABLE, type FromQueryProcess, type ResultFormat, type ToQueryProcess } from "./query-messages.js";

/**
 * The store the query process reads: a node's SQLite file (opened read-only), or the cluster's
 * PostgreSQL database (its URL reaches the process through its environment, not its command line,
 * which anyone on the machine can read).
 */
export type QueryStore = { readonly sqlite: string } | { readonly postgres: string };

export interface QueryProcessOptions {
  readonly store: QueryStore;
  /** The invoker's live state, taken when a query starts. */
  readonly live: () => readonly LiveInvocationState[];
  /**
   * Time limit of one query, reading included. Default 60 s: a full scan of the journal over 100k
   * invocations (400k rows, ~120 MB) takes ~10 s at this process's low priority beside a busy engine.
   */
  readonly limitMs?: number;
  /** Queries that may wait behind the running one; more are refused with 429. Default 32. */
  readonly maxWaiting?: number;
  /** The process exits after this long without a query (it starts again on the next). Default 60 s. */
  readonly idleMs?: number;
  /** The query process's script. Default: dist/stet-query.cjs of this package. */
  readonly entry?: string;
}

/** A query's answer: success is decided; the body streams (it may still be cut short by a late error). */
export interface QueryAnswer {
  readonly contentType: string;
  readonly body: Readable;
}

interface Job {
  readonly id: number;
  readonly sql: string;
  readonly format: ResultFormat;
  readonly resolve: (answer: QueryAnswer) => void;
  readonly reject: (error: Error) => void;
  body?: Readable;
  /** A chunk was pushed past the body's high-water mark: acknowledge it once the body is read. */
  unacked?: boolean;
  headTimer?: NodeJS.Timeout;
  /** Already sent again once after its process died before answering. */
  retried?: boolean;
}

const NICENESS = 10;
/** How long past its own time limit a query may go before its process is killed. */
const KILL_GRACE_MS = 5_000;

/**
 * Runs `/query` statements in a child process (query-child.ts), one at a time, and hands each answer
 * to the route as a stream. The process starts on the first query, runs on idle CPU time only (below
 * the engine), and exits when idle; if it dies, its query is tried once more on a new one.
 */
export class QueryProcess {
  readonly #options: QueryProcessOptions;
  readonly #waiting: Job[] = [];
  #active: Job | undefined;
  #child: ChildProcess | undefined;
  #ready = false;
  #stderr = "";
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | undefined;
  /** Why the process was killed, when the server killed it; the active query fails with this. */
  #killedFor: QueryError | undefined;
  #closed = false;

  constructor(options: QueryProcessOptions) {
    this.#options = options;
  }

  /** Resolves once the query has compiled and its first rows were read; rejects with its error. */
  run(sql: string, format: ResultFormat): Promise<QueryAnswer> {
    if (this.#closed) return Promise.reject(new QueryError(QUERY_ERROR_CODES.unavailable, "the server is shutting down"));
    // One runs, up to maxWaiting wait (also while the process starts and none runs yet).
    if (this.#waiting.length + (this.#active === undefined ? 0 : 1) > (this.#options.maxWaiting ?? 32)) {
      return Promise.reject(new QueryError(QUERY_ERROR_CODES.busy, "Rate limited: too many queries are waiting; retry shortly"));
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({ id: this.#nextId++, sql, format, resolve, reject });
      this.#pump();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    const gone = new QueryError(QUERY_ERROR_CODES.unavailable, "the server is shutting down");
    for (const job of this.#waiting.splice(0)) job.reject(gone);
    const child = this.#child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  }

  #pump(): void {
    if (this.#active !== undefined || this.#waiting.length === 0 || this.#closed) return;
    clearTimeout(this.#idleTimer);
    const child = this.#child ?? this.#spawn();
    if (child === undefined || !this.#ready) return;
    const job = this.#waiting.shift()!;
    this.#active = job;
    const limitMs = this.#options.limitMs ?? 60_000;
    job.headTimer = setTimeout(() => this.#kill(new QueryError(QUERY_ERROR_CODES.timeout, `the query took longer than its limit of ${limitMs} ms and was stopped`)), limitMs + KILL_GRACE_MS);
    this.#send({ type: "query", id: job.id, sql: job.sql, format: job.format, live: this.#options.live(), limitMs });
  }

  #spawn(): ChildProcess | undefined {
    const entry = this.#options.entry ?? defaultEntry();
    if (!existsSync(entry)) {
      const error = new QueryError(QUERY_ERROR_CODES.unavailable, `the query engine is not built (${entry} is missing; run npm run build)`);
      for (const job of this.#waiting.splice(0)) job.reject(error);
      return undefined;
    }
    this.#ready = false;
    this.#stderr = "";
    // Not the server's own flags (a test runner's loaders); a bound on what a query may hold.
    const nodeFlags = ["--max-old-space-size=512"];
    const idle = idleScheduler();
    const store = this.#options.store;
    const child = fork(entry, ["sqlite" in store ? store.sqlite : POSTGRES_ARGUMENT], {
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      ...("postgres" in store ? { env: { ...process.env, [POSTGRES_URL_VARIABLE]: store.postgres } } : {}),
      // Under SCHED_IDLE (`chrt --idle 0 node …`) the process runs only on CPU time nothing else wants.
      ...(idle === undefined ? { execArgv: nodeFlags } : { execPath: idle, execArgv: ["--idle", "0", process.execPath, ...nodeFlags] }),
    });
    this.#child = child;
    try {
      // Without chrt, a lower priority at least.
      if (idle === undefined && child.pid !== undefined) setPriority(child.pid, NICENESS);
    } catch {
      // Not allowed here (some containers): the query runs at the engine's priority.
    }
    child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-2000);
    });
    child.on("message", (message: FromQueryProcess) => this.#onMessage(message));
    child.on("error", () => {});
    child.once("exit", (code, signal) => this.#onExit(child, code, signal));
    return child;
  }

  #onMessage(message: FromQueryProcess): void {
    if (message.type === "ready") {
      this.#ready = true;
      this.#pump();
      return;
    }
    const job = this.#active;
    if (job === undefined || job.id !== message.id) return;
    switch (message.type) {
      case "head": {
        clearTimeout(job.headTimer);
        const body = new Readable({
          read: () => {
            if (job.unacked !== true) return;
            job.unacked = false;
            this.#send({ type: "ack", id: job.id });
          },
        });
        body.once("close", () => {
          if (!body.readableEnded && this.#active === job) this.#send({ type: "cancel", id: job.id });
        });
        job.body = body;
        job.resolve({ contentType: message.contentType, body });
        break;
      }
      case "chunk":
        if (job.body === undefined || job.body.destroyed) break;
        if (job.body.push(message.bytes)) this.#send({ type: "ack", id: job.id });
        else job.unacked = true;
        break;
      case "end":
        job.body?.push(null);
        this.#finish(job);
        break;
      case "error":
        this.#fail(job, new StetError(message.code, message.message, { status: message.status }));
        break;
    }
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return;
    const wasReady = this.#ready;
    this.#child = undefined;
    this.#ready = false;
    const job = this.#active;
    if (job !== undefined && job.body === undefined && this.#killedFor === undefined && wasReady && job.retried !== true) {
      // It died before it answered this query (killed from outside, or by this query): try once more on
      // a new process, so that a query sent just as the old one died is not lost to that.
      clearTimeout(job.headTimer);
      job.retried = true;
      this.#active = undefined;
      this.#waiting.unshift(job);
    } else if (job !== undefined) {
      const detail = this.#stderr.trim().split("\n").slice(-3).join(" | ");
      const reason = this.#killedFor ?? new QueryError(QUERY_ERROR_CODES.failed, `the query process exited (${signal ?? `code ${code}`})${detail === "" ? "" : `: ${detail}`}`);
      this.#fail(job, reason);
    }
    this.#killedFor = undefined;
    if (!wasReady) {
      // It died before it could take a query (a broken build, a database it cannot open): do not loop.
      const error = new QueryError(QUERY_ERROR_CODES.unavailable, `the query process could not start (${signal ?? `code ${code}`}): ${this.#stderr.trim().slice(-500)}`);
      for (const waiting of this.#waiting.splice(0)) waiting.reject(error);
    } else this.#pump();
  }

  #fail(job: Job, error: Error): void {
    if (job.body === undefined) job.reject(error);
    else job.body.destroy(error);
    this.#finish(job);
  }

  #finish(job: Job): void {
    clearTimeout(job.headTimer);
    if (this.#active !== job) return;
    this.#active = undefined;
    if (this.#waiting.length > 0) this.#pump();
    else this.#idleTimer = setTimeout(() => this.#retire(), this.#options.idleMs ?? 60_000).unref();
  }

  /** Lets the idle process go (it exits when its channel closes); the next query starts a new one. */
  #retire(): void {
    const child = this.#child;
    if (child === undefined || this.#active !== undefined) return;
    this.#child = undefined;
    this.#ready = false;
    if (child.connected) child.disconnect();
  }

  #kill(reason: QueryError): void {
    this.#killedFor = reason;
    this.#child?.kill("SIGKILL");
  }

  #send(message: ToQueryProcess): void {
    if (this.#child?.connected === true) this.#child.send(message);
  }
}

export function isQueryBusy(error: unknown): boolean {
  return error instanceof StetError && (error.code as QueryErrorCode) === QUERY_ERROR_CODES.busy;
}

/** util-linux's chrt, which starts a program under Linux's SCHED_IDLE policy; undefined elsewhere. */
function idleScheduler(): string | undefined {
  if (process.platform !== "linux") return undefined;
  return ["/usr/bin/chrt", "/bin/chrt"].find((file) => existsSync(file));
}

/** dist/stet-query.cjs of stet's package (from the sources, the bundle, or tsc's output). */
function defaultEntry(): string {
  return distFile("stet-query.cjs");
}
