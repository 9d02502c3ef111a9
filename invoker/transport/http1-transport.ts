import { Agent, request } from "undici";
import type { AttemptStream, DeploymentTarget, StreamResponse, Transport } from "./transport.js";

/**
 * Request/response mode over HTTP/1.1: the runtime's frames go out as one request body when `end()` is
 * called, then the service's frames come back in the response body.
 */
export class Http1Transport implements Transport {
  readonly #agent = new Agent({ keepAliveTimeout: 30_000, connections: 256 });

  open(target: DeploymentTarget, path: string, headers: Record<string, string>): AttemptStream {
    const base = new URL(target.uri);
    const url = `${base.origin}${base.pathname.replace(/\/$/, "")}${path}`;
    const parts: Uint8Array[] = [];
    const controller = new AbortController();
    let writable = true;
    let started: ((value: void) => void) | undefined;
    const ready = new Promise<void>((resolve) => (started = resolve));

    const exchange = ready.then(() =>
      request(url, {
        method: "POST",
        headers: { ...target.additionalHeaders, ...headers },
        body: Buffer.concat(parts),
        dispatcher: this.#agent,
        signal: controller.signal,
      }),
    );
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
    await this.#agent.close();
  }

  destroy(): void {
    void this.#agent.destroy().catch(() => {});
  }
}
