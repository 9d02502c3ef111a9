import fs from "node:fs";
import { expect } from "vitest";
import type { ClusterNode } from "./cluster.js";
import { eventually } from "./eventually.js";

// Client load on a cluster of nodes running test/e2e/fixtures/load-service.mjs, and the check that it
// all happened exactly once. Every request carries an idempotency key, so a request whose answer was
// lost (a node killed, a 503 while partitions move) is sent again until one comes back, and still counts once.

export const LOAD_FIXTURE = "test/e2e/fixtures/load-service.mjs";

/** Objects the adds spread over: Tally/c0 … Tally/c{KEYS-1}. */
export const KEYS = 4;

/** A send of Load/work (202, runs later) or a call of Tally/c<k>/add with 1 (200, the new count). */
export interface LoadRequest {
  readonly kind: "send" | "add";
  readonly key: string;
  readonly path: string;
  readonly body: number;
}

export interface LoadAnswer {
  readonly status: number;
  readonly body: unknown;
  /** The name of the node that answered. */
  readonly from: string;
  /** When the request was first tried, and when an answer came (Date.now()). */
  readonly firstTriedAt: number;
  readonly answeredAt: number;
}

/** An attempt that brought no answer: a status other than 200/202, or an error (reset, refused, timeout). */
export interface Refusal {
  readonly key: string;
  readonly at: number;
  readonly node: string;
  readonly reason: string;
}

export interface LoadOptions {
  /** The nodes to send to, asked before each attempt: attempts go round them in turn. */
  readonly targets: () => readonly ClusterNode[];
  /** Concurrent clients, each one request at a time. Default 8. */
  readonly workers?: number;
  /** Stop issuing after this many requests; default: until stop(). */
  readonly total?: number;
  /** One attempt's time limit, in ms; a longer wait is given up and the request sent again. Default 15 000. */
  readonly attemptTimeoutMs?: number;
  /** How long one request may go unanswered before the load fails, in ms. Default 60 000. */
  readonly requestDeadlineMs?: number;
  /** Starts every idempotency key, so that several loads of one test never share a key. Default "". */
  readonly prefix?: string;
}

export const post = (url: string, body: unknown, idempotencyKey?: string, timeoutMs = 15_000) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey }) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });

/**
 * `post`, sent again while the answer is a 503 (a partition between leaders, as when placement moves one):
 * what a client of the cluster does. Any other answer is returned.
 */
export async function postServed(url: string, body: unknown, idempotencyKey?: string): Promise<Response> {
  return eventually(`an answer other than 503 from ${url}`, async () => {
    const res = await post(url, body, idempotencyKey);
    if (res.status !== 503) return res;
    await res.body?.cancel();
    return undefined;
  });
}

export const logLines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

/** The i-th request: sends and adds alternate, adds going round the KEYS objects. */
function requestAt(i: number, prefix: string): LoadRequest {
  const n = Math.floor(i / 2);
  return i % 2 === 0
    ? { kind: "send", key: `${prefix}send-${n}`, path: "/Load/work/send", body: n }
    : { kind: "add", key: `${prefix}add-${n}`, path: `/Tally/c${n % KEYS}/add`, body: 1 };
}

/** Clients sending requests to the cluster's nodes until told to stop; each request until it is answered. */
export class ClusterLoad {
  readonly requests: LoadRequest[] = [];
  readonly answers = new Map<string, LoadAnswer>();
  readonly refusals: Refusal[] = [];
  /** Resolves once every issued request is answered (rejects if one never is). */
  readonly done: Promise<void>;
  readonly #options: LoadOptions;
  #issuing = true;
  #turn = 0;
  readonly #waiters = new Set<() => void>();

  constructor(options: LoadOptions) {
    this.#options = options;
    this.done = Promise.all(Array.from({ length: options.workers ?? 8 }, () => this.#worker())).then(() => undefined);
    this.done.catch(() => undefined); // observed by stop() or the test
  }

  /** Keys of the requests that needed more than one attempt. */
  get resent(): Set<string> {
    return new Set(this.refusals.map((r) => r.key));
  }

  /** Resolves once `count` requests are answered. */
  answered(count: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.answers.size < count) return;
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
      check();
      this.done.then(() => {
        if (this.answers.size < count) reject(new Error(`the load ended with ${this.answers.size} answers, short of ${count}`));
      }, reject);
    });
  }

  /** Issues nothing new; resolves once every issued request is answered. */
  async stop(): Promise<void> {
    this.#issuing = false;
    await this.done;
  }

  async #worker(): Promise<void> {
    const total = this.#options.total ?? Infinity;
    while (this.#issuing && this.requests.length < total) {
      const request = requestAt(this.requests.length, this.#options.prefix ?? "");
      this.requests.push(request);
      await this.#untilAnswered(request);
    }
  }

  async #untilAnswered(r: LoadRequest): Promise<void> {
    const firstTriedAt = Date.now();
    const deadline = firstTriedAt + (this.#options.requestDeadlineMs ?? 60_000);
    while (Date.now() < deadline) {
      const targets = this.#options.targets();
      const node = targets[this.#turn++ % targets.length]!;
      let reason: string;
      try {
        const res = await post(`${node.ingressUrl}${r.path}`, r.body, r.key, this.#options.attemptTimeoutMs);
        if (res.status === 200 || res.status === 202) {
          this.answers.set(r.key, { status: res.status, body: await res.json(), from: node.name, firstTriedAt, answeredAt: Date.now() });
          for (const w of [...this.#waiters]) w();
          return;
        }
        reason = `${res.status} ${res.headers.get("x-stet-error-code") ?? ""}`.trim();
        await res.body?.cancel();
      } catch (error) {
        reason = (error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      }
      this.refusals.push({ key: r.key, at: Date.now(), node: node.name, reason });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`request ${r.key} was never answered`);
  }
}

/**
 * After the loads (each stopped): everything acknowledged happened exactly once, checked through `node`.
 * - Counters first, before anything is sent again: each object counts each of its adds once (an add
 *   lost after its 200 would leave it short, one run twice would leave it over).
 * - Sending again with the same key names the invocation accepted before, whichever node accepted it.
 * - Every invocation that ran is one of the accepted ones, and each observed one run result (a run
 *   re-executed after its result was acknowledged would show a second token), its output.
 * - Each Load/work invocation calls Tally/k<n % 10>/add once: those calls too were made exactly once.
 */
export async function verifyExactlyOnce(loads: ClusterLoad | readonly ClusterLoad[], node: ClusterNode, logFile: string): Promise<void> {
  const all = [loads].flat();
  const requests = all.flatMap((l) => l.requests);
  const answers = new Map(all.flatMap((l) => [...l.answers]));
  expect(answers.size).toBe(requests.length);
  const sends = requests.filter((r) => r.kind === "send");
  const adds = requests.filter((r) => r.kind === "add");
  const counts = async () => {
    for (let k = 0; k < KEYS; k++) {
      const mine = adds.filter((r) => r.path === `/Tally/c${k}/add`);
      const res = await postServed(`${node.ingressUrl}/Tally/c${k}/get`, null);
      // On a mismatch, the counts the adds were answered with show whether answered adds were lost.
      const answered = mine.map((r) => answers.get(r.key)!.body as number).sort((x, y) => x - y);
      expect(await res.json(), `Tally/c${k}, its adds answered ${answered.join(" ")}`).toBe(mine.length);
    }
  };
  await counts();

  const ids = new Map(sends.map((r) => [r.key, (answers.get(r.key)!.body as { invocationId: string }).invocationId]));
  expect(new Set(ids.values()).size).toBe(sends.length);
  await forEachAtOnce(sends, async (r) => {
    const again = await postServed(`${node.ingressUrl}${r.path}`, r.body, r.key);
    expect([200, 202]).toContain(again.status);
    expect(((await again.json()) as { invocationId: string }).invocationId).toBe(ids.get(r.key));
  });

  const outputs = new Map<string, unknown>();
  await forEachAtOnce([...ids.values()], async (id) => void outputs.set(id, await attachOutput(node, id)));
  const acked = new Map<string, Set<string>>();
  for (const line of logLines(logFile)) {
    const [kind, id, token] = line.split(" ");
    if (kind === "acked") acked.set(id!, (acked.get(id!) ?? new Set()).add(token!));
    if (kind === "run") expect(outputs.has(id!), `an invocation nobody accepted ran: ${id}`).toBe(true);
  }
  for (const [id, output] of outputs) expect([...(acked.get(id) ?? [])], `run results of ${id}`).toEqual([output]);

  // An add sent again answers what it answered the first time, and counts nothing more.
  await forEachAtOnce(adds, async (r) => {
    const again = await postServed(`${node.ingressUrl}${r.path}`, r.body, r.key);
    expect(again.status).toBe(200);
    expect(await again.json()).toBe(answers.get(r.key)!.body);
  });
  await counts();
  let calls = 0;
  for (let k = 0; k < 10; k++) calls += (await (await postServed(`${node.ingressUrl}/Tally/k${k}/get`, null)).json()) as number;
  expect(calls, "Load/work's calls of Tally/k<n>/add").toBe(sends.length);
}

/** Runs `work` on every item, `limit` at a time (a verification of hundreds of requests, not one by one). */
export async function forEachAtOnce<T>(items: readonly T[], work: (item: T) => Promise<void>, limit = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** The output of invocation `id`, waited for; a failure names the invocation and says where it stands. */
export async function attachOutput(node: ClusterNode, id: string, timeoutMs = 30_000): Promise<unknown> {
  const res = await fetch(`${node.ingressUrl}/restate/invocation/${id}/attach`, { signal: AbortSignal.timeout(timeoutMs) }).catch(
    (error: unknown) => error as Error,
  );
  if (!(res instanceof Error) && res.status === 200) return res.json();
  const status = await fetch(`${node.adminUrl}/invocations/${id}`, { signal: AbortSignal.timeout(5_000) }).then(
    async (r) => `${r.status} ${await r.text()}`,
    (error: unknown) => String(error),
  );
  throw new Error(`attach ${id}: ${res instanceof Error ? res.message : `${res.status} ${await res.text()}`}; the invocation: ${status}`);
}

/** Refusals as a count and a tally of reasons, for a test's log: `12 (ECONNREFUSED ×5, 503 STET_… ×7)`. */
export function describeRefusals(refusals: readonly Refusal[]): string {
  const tally = new Map<string, number>();
  for (const r of refusals) tally.set(r.reason, (tally.get(r.reason) ?? 0) + 1);
  const reasons = [...tally].map(([reason, n]) => `${reason} ×${n}`).join(", ");
  return refusals.length === 0 ? "0" : `${refusals.length} (${reasons})`;
}

/** The longest a request waited for its answer, among those waiting at some moment of [from, to], in ms. */
export function longestWait(load: ClusterLoad, from: number, to: number): number {
  const waits = [...load.answers.values()].filter((a) => a.firstTriedAt <= to && a.answeredAt >= from).map((a) => a.answeredAt - a.firstTriedAt);
  return Math.max(0, ...waits);
}
