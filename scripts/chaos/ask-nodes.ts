import { sleep } from "./processes.js";

/** The URLs (ingress or admin) of every node, read at each attempt: a restarted node may move. */
export type NodeUrls = () => readonly string[];

export interface AskOptions {
  readonly method?: "GET" | "POST";
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Per attempt: a paused node accepts the connection and never answers. */
  readonly attemptTimeoutMs: number;
  /** Epoch ms after which no attempt is started; undefined is returned then. */
  readonly giveUpAt: number;
  /** Which node to try first (an index, taken modulo the node count): requests spread over the nodes. */
  readonly firstNode: number;
  /** Told of each attempt after the first (answers lost and asked again). */
  readonly onRetry?: () => void;
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * Sends one request until a node answers it with 200 or 202, each attempt to the next node: connection
 * refused (a killed node), a timeout (a paused one) and 5xx (a partition without a leader yet) are all
 * asked again elsewhere, as a client of a cluster behind a load balancer would. Requests that change
 * anything carry an idempotency key, so asking again is safe.
 */
export async function askUntilAnswered(urls: NodeUrls, path: string, options: AskOptions): Promise<Answer | undefined> {
  for (let attempt = 0; Date.now() < options.giveUpAt; attempt++) {
    if (attempt > 0) {
      options.onRetry?.();
      await sleep(Math.min(500, 25 * 2 ** Math.min(attempt, 5)));
    }
    const nodes = urls();
    const base = nodes[(options.firstNode + attempt) % nodes.length]!;
    try {
      const res = await fetch(base + path, {
        method: options.method ?? "POST",
        headers: { "content-type": "application/json", ...options.headers },
        ...(options.body === undefined ? {} : { body: options.body }),
        signal: AbortSignal.timeout(options.attemptTimeoutMs),
      });
      const text = await res.text();
      if (res.status === 200 || res.status === 202) return { status: res.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
    } catch {
      // Refused, reset or timed out: the next node is asked.
    }
  }
  return undefined;
}
