import type { Agent } from "undici";
import type { AttemptStream, DeploymentTarget, StreamResponse, Transport } from "./transport.js";

/**
 * Request/response mode over HTTP/1.1: the runtime's frames go out as one request body when `end()` is
 * called, then the service's frames come back in the response body.
 */
export class Http1Transport implements Transport {
  // undici is loaded with the first HTTP/1.1 attempt: most deployments speak HTTP/2, and importing it at
  // start costs ~80 ms of startup time.
  #undici: Promise<{ agent: Agent; request: typeof import("undici").request }> | undefined;

  #client(): Promise<{ agent: Agent; request: typeof import("undici").request }> {
    this.#undici ??= import("undici").then((u) => ({ agent: new u.Agent({ keepAliveTimeout: 30_000, connections: 256 }), request: u.request }));
    return this.#undici;
  }

  open(target: DeploymentTarget, path: string, headers: Record<string, string>): AttemptStream {
    const base = new URL(target.uri);
    const url = `${base.origin}${base.pathname.replace(/\/$/, "")}${path}`;
    const parts: Uint8Array[] = [];
    const controller = new AbortController();
    let writable = true;
    let started: ((value: void) => void) | undefined;
    const ready = new Promise<void>((resolve) => (started = resolve));

    const exchange = ready.then(async () => {
      const { agent, request } = await this.#client();
      return request(url, {
        method: "POST",
        headers: { ...target.additionalHeaders, ...headers },
        body: Buffer.concat(parts),
        dispatcher: agent,
        signal: controller.signal,
      });
    });
    const response: Promise<StreamResponse> = exchange.then((r) => ({
      status: r.statusCode,
      headers: r.headers,
    }));
    response.catch(() => {});
    const chunks: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        const r = await exchange;
        // Leaving the loop early must not destroy the body (and the pooled connection): `drain` reads it out.
        for await (const chunk of r.body.iterator({ destroyOnReturn: false })) yield chunk as Uint8Array;
      },
    };
    return {
      response,
      chunks,
      get writable() {
        return writable;
      },
      write: (frame) => {
        if (writable) parts.push(frame);
      },
      end: () => {
        writable = false;
        started?.();
      },
      abort: (reason) => {
        writable = false;
        controller.abort(reason);
        started?.();
      },
      drain: () => {
        exchange.then((r) => r.body.dump()).catch(() => {});
      },
    };
  }

  async close(): Promise<void> {
    if (this.#undici !== undefined) await (await this.#undici).agent.close();
  }

  destroy(): void {
    void this.#undici?.then(({ agent }) => agent.destroy()).catch(() => {});
  }
}
