import http2 from "node:http2";
import type { AttemptStream, DeploymentTarget, StreamResponse, Transport } from "./transport.js";

/**
 * Bidirectional streams over one pooled HTTP/2 session per deployment origin. http:// origins use h2c
 * with prior knowledge, which is what the official SDK's `serve()` speaks.
 */
export class Http2Transport implements Transport {
  readonly #sessions = new Map<string, http2.ClientHttp2Session>();

  open(target: DeploymentTarget, path: string, headers: Record<string, string>): AttemptStream {
    const base = new URL(target.uri);
    const session = this.#session(base.origin);
    const prefix = base.pathname.replace(/\/$/, "");
    const req = session.request({
      ":method": "POST",
      ":path": `${prefix}${path}`,
      ...target.additionalHeaders,
      ...headers,
    });
    let writable = true;
    const response = new Promise<StreamResponse>((resolve, reject) => {
      let answered = false;
      req.once("response", (h) => {
        answered = true;
        resolve({ status: Number(h[":status"]), headers: h });
      });
      req.once("error", reject);
      // Every stream closes; the error (and its stack trace) is only built when no response came first.
      req.once("close", () => {
        if (!answered) reject(new Error(`stream closed before response headers (code ${req.rstCode})`));
      });
    });
    response.catch(() => {});
    return {
      response,
      // Leaving the loop early must not reset the stream: `drain` lets it finish instead.
      chunks: req.iterator({ destroyOnReturn: false }),
      drain: () => {
        if (!req.destroyed) req.resume();
      },
      get writable() {
        return writable && !req.destroyed;
      },
      write: (frame) => {
        if (writable && !req.destroyed) req.write(frame);
      },
      end: () => {
        writable = false;
        if (!req.destroyed) req.end();
      },
      abort: (reason) => {
        writable = false;
        if (!req.destroyed) req.destroy(reason);
      },
    };
  }

  #session(origin: string): http2.ClientHttp2Session {
    const existing = this.#sessions.get(origin);
    if (existing !== undefined && !existing.closed && !existing.destroyed) return existing;
    const session = http2.connect(origin);
    // Errors surface on the streams; an idle pooled session must not crash the process.
    session.on("error", () => {});
    session.on("close", () => {
      if (this.#sessions.get(origin) === session) this.#sessions.delete(origin);
    });
    session.unref();
    this.#sessions.set(origin, session);
    return session;
  }

  async close(): Promise<void> {
    const closing = [...this.#sessions.values()].map(
      (s) => new Promise<void>((resolve) => (s.closed ? resolve() : s.close(() => resolve()))),
    );
    this.#sessions.clear();
    await Promise.all(closing);
  }

  destroy(): void {
    for (const s of this.#sessions.values()) s.destroy();
    this.#sessions.clear();
  }
}
