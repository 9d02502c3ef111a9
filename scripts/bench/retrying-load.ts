// FAILOVER's steady load: a few loops, each sending `Counter/<key>/add` (delta 1) with an idempotency key
// of its own and retrying that request, on the next node, until it is answered. A request is lost only
// if it is still unanswered when the load gives up after it was stopped; the counters then show whether
// any request took effect twice (the server must answer a retry with the first attempt's result).
import type { Pool } from "undici";
import { newErrors, newPool, noteError, send, type Errors } from "./load.js";
import { sleep } from "./servers.js";

export interface RetryingLoadOptions {
  /** The ingress URLs to send to, read before every attempt (a cluster's members change). */
  readonly origins: () => readonly string[];
  /** Loops, each with one request in flight. */
  readonly loops: number;
  /** Pause between a loop's answered request and its next one (keeps the load light), ms. */
  readonly pauseMs: number;
  /** Object keys the requests are spread over. */
  readonly keys: number;
  /** How long one attempt may wait for its answer, ms. */
  readonly attemptTimeoutMs: number;
}

export interface RetryingLoadOutcome {
  /** Requests answered 2xx (after any number of attempts). */
  readonly answered: number;
  /** Of those, the ones that needed more than one attempt. */
  readonly retried: number;
  /** Requests given up on: never answered (must be 0). */
  readonly lost: number;
  /** The longest a request took from its first attempt to its answer, ms. */
  readonly maxRequestMs: number;
  /** The attempts that failed (and were retried), by status or error code. */
  readonly failedAttempts: Errors;
  /** Answered adds per key, to compare with the counters' values. */
  readonly answeredPerKey: ReadonlyMap<string, number>;
}

export class RetryingLoad {
  readonly #opts: RetryingLoadOptions;
  readonly #pools = new Map<string, Pool>();
  readonly #failed = newErrors();
  readonly #perKey = new Map<string, number>();
  readonly #run = Math.random().toString(36).slice(2, 8);
  #answered = 0;
  #retried = 0;
  #lost = 0;
  #maxMs = 0;
  #seq = 0;
  #stopping = false;
  #giveUpAt = Number.POSITIVE_INFINITY;
  #loops: Promise<void>[] = [];

  constructor(opts: RetryingLoadOptions) {
    this.#opts = opts;
  }

  /** The object key of the i-th of `keys`. */
  static keyOf(i: number): string {
    return `failover-${i}`;
  }

  start(): this {
    this.#loops = Array.from({ length: this.#opts.loops }, () => this.#loop());
    return this;
  }

  /** Stops sending new requests; those in flight are retried for up to `giveUpMs` more, then counted lost. */
  async stop(giveUpMs: number): Promise<RetryingLoadOutcome> {
    this.#stopping = true;
    this.#giveUpAt = performance.now() + giveUpMs;
    await Promise.all(this.#loops);
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
    return {
      answered: this.#answered,
      retried: this.#retried,
      lost: this.#lost,
      maxRequestMs: this.#maxMs,
      failedAttempts: this.#failed,
      answeredPerKey: this.#perKey,
    };
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      await this.#request(this.#seq++);
      await sleep(this.#opts.pauseMs);
    }
  }

  /** One request, retried on the next node until answered or given up. */
  async #request(seq: number): Promise<void> {
    const key = RetryingLoad.keyOf(seq % this.#opts.keys);
    const req = { path: `/Counter/${key}/add`, body: "1", headers: { "idempotency-key": `${this.#run}-${seq}` } };
    const t0 = performance.now();
    for (let attempt = 0; ; attempt++) {
      const origins = this.#opts.origins();
      const r = await send(this.#pool(origins[(seq + attempt) % origins.length]!), req);
      if (r.status >= 200 && r.status < 300) {
        this.#answered++;
        if (attempt > 0) this.#retried++;
        this.#maxMs = Math.max(this.#maxMs, performance.now() - t0);
        this.#perKey.set(key, (this.#perKey.get(key) ?? 0) + 1);
        return;
      }
      noteError(this.#failed, r.status === 0 ? (r.error ?? "ERR").split(" ")[0]! : String(r.status), r.error ?? r.body);
      if (performance.now() >= this.#giveUpAt) {
        this.#lost++;
        return;
      }
      await sleep(50);
    }
  }

  #pool(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (pool === undefined) this.#pools.set(origin, (pool = newPool(origin, this.#opts.loops, this.#opts.attemptTimeoutMs)));
    return pool;
  }
}
