// A closed-loop HTTP load generator on undici: N connections, N loops, each sending its next request
// when the previous one answered. Warm-up and measurement run back to back without a gap; only requests
// started inside the measurement window are counted.
import { Pool } from "undici";

export interface Req {
  readonly path: string;
  readonly body: string;
  readonly method?: "POST" | "GET";
  /** More request headers (FAILOVER: `idempotency-key`). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Errors {
  /** count per status code ("503") or error code ("UND_ERR_HEADERS_TIMEOUT"). */
  readonly counts: Record<string, number>;
  /** A few distinct error bodies/messages. */
  readonly samples: string[];
}

export interface LoadResult {
  /** Requests started in the measurement window that answered 2xx. */
  readonly ok: number;
  readonly errors: Errors;
  /** Latencies (ms) of the successful requests in the window. */
  readonly latencies: number[];
  /** Window length: from its start to the last answer of a request started in it, seconds. */
  readonly windowS: number;
}

export function newErrors(): { counts: Record<string, number>; samples: string[] } {
  return { counts: {}, samples: [] };
}

export function noteError(errors: { counts: Record<string, number>; samples: string[] }, key: string, sample: string): void {
  errors.counts[key] = (errors.counts[key] ?? 0) + 1;
  const s = `${key}: ${sample.slice(0, 300)}`;
  if (errors.samples.length < 5 && !errors.samples.includes(s)) errors.samples.push(s);
}

export function errorCount(e: Errors): number {
  return Object.values(e.counts).reduce((a, b) => a + b, 0);
}

/**
 * One server, or a cluster whose load is spread over its nodes: connection (loop) i goes to origin
 * i mod N, so every node takes an equal share of the connections and forwards what it does not lead.
 */
export type Origins = string | readonly string[];

/** A pool per origin, sized for its share of `connections`; `poolFor(loop)` is that loop's pool. */
function poolsFor(origins: Origins, connections: number): { poolFor(loop: number): Pool; close(): Promise<void> } {
  const list = typeof origins === "string" ? [origins] : origins;
  const pools = list.map((o) => newPool(o, Math.ceil(connections / list.length)));
  return {
    poolFor: (loop) => pools[loop % pools.length]!,
    close: async () => void (await Promise.all(pools.map((p) => p.close()))),
  };
}

/** `timeoutMs`: how long a request may wait for its answer's headers, and then for its body. */
export function newPool(origin: string, connections: number, timeoutMs = 60_000): Pool {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
}

/** One request; resolves with status and body text, never throws. */
export async function send(pool: Pool, req: Req): Promise<{ status: number; body: string; error?: string }> {
  try {
    const res = await pool.request({
      path: req.path,
      method: req.method ?? "POST",
      headers: { ...(req.method === "GET" ? {} : { "content-type": "application/json" }), ...req.headers },
      body: req.method === "GET" ? null : req.body,
    });
    const body = await res.body.text();
    return { status: res.statusCode, body };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { status: 0, body: "", error: `${err.code ?? "ERR"} ${err.message ?? String(e)}` };
  }
}

export interface ClosedLoopSpec {
  readonly origin: Origins;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Upper bound on requests in the measurement window (safety). */
  readonly maxRequests?: number;
  /** The request a loop sends next (loop index, sequence number). */
  readonly request: (loop: number, seq: number) => Req;
  /** Called at the start of the measurement window (e.g. to read CPU counters). */
  readonly onWindowStart?: () => void;
}

export async function closedLoop(spec: ClosedLoopSpec): Promise<LoadResult> {
  const pools = poolsFor(spec.origin, spec.connections);
  const latencies: number[] = [];
  const errors = newErrors();
  const t0 = performance.now();
  const windowStart = t0 + spec.warmupMs;
  const windowEnd = windowStart + spec.durationMs;
  let started = 0;
  let lastAnswer = windowStart;
  let windowOpened = false;
  const maxRequests = spec.maxRequests ?? Number.POSITIVE_INFINITY;
  const openWindow = (): void => {
    if (windowOpened) return;
    windowOpened = true;
    spec.onWindowStart?.();
  };
  const timer = setTimeout(openWindow, Math.max(0, spec.warmupMs));
  let seq = 0;
  const loop = async (i: number): Promise<void> => {
    for (;;) {
      const now = performance.now();
      if (now >= windowEnd) return;
      const inWindow = now >= windowStart;
      if (inWindow) {
        openWindow();
        if (started >= maxRequests) return;
        started++;
      }
      const r = await send(pools.poolFor(i), spec.request(i, seq++));
      const done = performance.now();
      if (!inWindow) continue;
      if (done > lastAnswer) lastAnswer = done;
      if (r.status >= 200 && r.status < 300) latencies.push(done - now);
      else if (r.status === 0) noteError(errors, (r.error ?? "ERR").split(" ")[0]!, r.error ?? "");
      else noteError(errors, String(r.status), r.body);
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, (_, i) => loop(i)));
  clearTimeout(timer);
  openWindow();
  await pools.close();
  return { ok: latencies.length, errors, latencies, windowS: (lastAnswer - windowStart) / 1000 };
}

/** Sends `count` requests with `concurrency` in flight; returns the answers' bodies (2xx) in order. */
export async function burst(
  origin: Origins,
  concurrency: number,
  count: number,
  request: (i: number) => Req,
): Promise<{ bodies: (string | undefined)[]; errors: Errors; elapsedS: number }> {
  const pools = poolsFor(origin, concurrency);
  const bodies: (string | undefined)[] = new Array<string | undefined>(count);
  const errors = newErrors();
  let next = 0;
  const t0 = performance.now();
  const loop = async (l: number): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const r = await send(pools.poolFor(l), request(i));
      if (r.status >= 200 && r.status < 300) bodies[i] = r.body;
      else if (r.status === 0) noteError(errors, (r.error ?? "ERR").split(" ")[0]!, r.error ?? "");
      else noteError(errors, String(r.status), r.body);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, l) => loop(l)));
  const elapsedS = (performance.now() - t0) / 1000;
  await pools.close();
  return { bodies, errors, elapsedS };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
