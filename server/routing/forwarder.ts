import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Agent, request as undiciRequest } from "undici";
import { InvocationMovedError, NotLeaderError } from "../../partition/index.js";
import { toError } from "../../protocol/errors.js";
import type { LeaderMap } from "./leader-map.js";
import { ForwardStoppedError, LeaderUnreachableError } from "./routing-errors.js";

/**
 * Marks a request one node passed on to another (its value: the forwarding node's id). A node never
 * forwards such a request again: when leadership moved meanwhile it answers 503 and the client retries,
 * so two nodes with stale maps cannot bounce a request between them.
 */
export const FORWARDED_HEADER = "x-stet-forwarded";

// RFC 9110 §7.6.1: connection-specific headers are not passed on; content-length is set again from the body.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"]);
const HOP_BY_HOP_ANSWER = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]);

export type ForwardedApi = "ingress" | "admin";

export interface RequestForwarderOptions {
  /** This node's id, sent in FORWARDED_HEADER. */
  readonly self: string;
  readonly leaders: LeaderMap;
  /** Aborted when the node begins to stop: forwarded requests under way then end with a 503. */
  readonly shutdown?: AbortSignal;
  /**
   * How long a caller whose invocation moved to another node waits for the partition's next leader to
   * be known, in ms. Default 10 000: a handover takes a placement round, a failover a lease.
   */
  readonly movedWaitMs?: number;
}

/** What is asked of the leader instead of the request itself (a caller attaching to a moved invocation). */
interface Redirect {
  readonly method: "GET";
  readonly path: string;
  /** A 503 answer is not passed back but asked again (the next leader is still taking over). */
  readonly again: boolean;
}

/**
 * Passes a request this node cannot serve (its partition is led elsewhere) to the leader and streams
 * the leader's answer back: status, headers and body, also after a long wait (a call, attach).
 */
export class RequestForwarder {
  readonly #options: RequestForwarderOptions;
  // Neither timeout applies: a forwarded call waits as long as the invocation runs, as it would here.
  readonly #agent = new Agent({ headersTimeout: 0, bodyTimeout: 0 });

  constructor(options: RequestForwarderOptions) {
    this.#options = options;
  }

  /**
   * Forwards `request` to the node that leads `partition`. Resolves true once the leader's answer was
   * streamed (the reply is hijacked), false when this request is not to be forwarded (it was forwarded
   * already, or no other live node leads the partition). Rejects with LeaderUnreachableError when the
   * leader could not be asked, ForwardStoppedError when this node stops first.
   */
  async forward(request: FastifyRequest, reply: FastifyReply, partition: number, api: ForwardedApi): Promise<boolean> {
    if (request.headers[FORWARDED_HEADER] !== undefined) return false;
    const leader = await this.#options.leaders.leaderOf(partition);
    if (leader === undefined) return false;
    return (await this.#pass(request, reply, partition, (api === "ingress" ? leader.ingressUrl : leader.adminUrl) + (request.raw.url ?? "/"), leader.nodeId)) === true;
  }

  /**
   * A caller waited here for an invocation whose partition moved to another node: attaches to it at
   * the partition's next leader (once one is known, waiting up to movedWaitMs) and streams its answer
   * back. Also for a request that was forwarded here: attaching runs nothing a second time, and the
   * next leader answers it itself. Resolves false when no leader turned up in time.
   */
  async attachMoved(request: FastifyRequest, reply: FastifyReply, moved: InvocationMovedError): Promise<boolean> {
    const deadline = Date.now() + (this.#options.movedWaitMs ?? 10_000);
    for (;;) {
      if (this.#options.shutdown?.aborted === true) throw new ForwardStoppedError(moved.partition, "its next leader");
      const leader = await this.#options.leaders.leaderOf(moved.partition);
      if (leader !== undefined) {
        const path = `/restate/invocation/${encodeURIComponent(moved.invocationId)}/attach`;
        // The next leader holds the lease but may still be loading the partition: then it answers 503
        // and is asked again.
        const redirect: Redirect = { method: "GET", path, again: Date.now() < deadline };
        const passed = await this.#pass(request, reply, moved.partition, leader.ingressUrl + path, leader.nodeId, redirect);
        if (passed !== "again") return passed;
      }
      if (Date.now() >= deadline) return false;
      this.#options.leaders.forget();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Asks the leader and streams its answer back; "again" for a 503 the redirect may try again after. */
  async #pass(request: FastifyRequest, reply: FastifyReply, partition: number, url: string, leaderId: string, redirect?: Redirect): Promise<boolean | "again"> {

    const controller = new AbortController();
    // The response closing before it was written means the caller is gone: stop asking the leader.
    const onClose = () => {
      if (!reply.raw.writableFinished) controller.abort(new Error("the caller disconnected"));
    };
    const onShutdown = () => controller.abort(new ForwardStoppedError(partition, leaderId));
    reply.raw.once("close", onClose);
    this.#options.shutdown?.addEventListener("abort", onShutdown, { once: true });
    try {
      let answer: Awaited<ReturnType<typeof undiciRequest>>;
      try {
        answer = await undiciRequest(url, {
          method: redirect?.method ?? (request.method as "GET"),
          headers: { ...forwardedHeaders(request.headers, redirect !== undefined), [FORWARDED_HEADER]: this.#options.self },
          body: redirect === undefined ? bodyOf(request) : undefined,
          signal: controller.signal,
          dispatcher: this.#agent,
        });
      } catch (error) {
        this.#options.leaders.forget();
        const reason: unknown = controller.signal.reason;
        if (reason instanceof ForwardStoppedError) throw reason;
        if (controller.signal.aborted) {
          // Nobody is left to answer.
          reply.hijack();
          reply.raw.destroy();
          return true;
        }
        throw new LeaderUnreachableError(partition, leaderId, error);
      }
      // The leader moved on since the map was read: ask PostgreSQL again next time.
      if (answer.statusCode === 503) {
        this.#options.leaders.forget();
        if (redirect?.again === true) {
          await answer.body.dump();
          return "again";
        }
      }
      reply.hijack();
      reply.raw.writeHead(answer.statusCode, answerHeaders(answer.headers));
      try {
        await pipeline(answer.body, reply.raw);
      } catch {
        // The caller left or the leader broke off mid-answer: the status is sent, so only cutting remains.
        reply.raw.destroy();
      }
      return true;
    } finally {
      reply.raw.off("close", onClose);
      this.#options.shutdown?.removeEventListener("abort", onShutdown);
    }
  }

  /** Ends the connections to other nodes (requests under way fail). Idempotent. */
  async close(): Promise<void> {
    if (!this.#agent.destroyed) await this.#agent.destroy();
  }
}

type ErrorHandler = (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Wraps an app's error handler: a NotLeaderError is forwarded to the partition's leader when one is
 * known; everything else, and what cannot be forwarded, goes to `fallback` as before.
 */
export function forwardingErrorHandler(forwarder: RequestForwarder | undefined, api: ForwardedApi, fallback: ErrorHandler): ErrorHandler {
  if (forwarder === undefined) return fallback;
  return (error, request, reply) => {
    if (error instanceof InvocationMovedError) {
      return forwarder.attachMoved(request, reply, error).then(
        (forwarded) => (forwarded ? undefined : fallback(error, request, reply)),
        (failure: unknown) => fallback(toError(failure), request, reply),
      );
    }
    if (!(error instanceof NotLeaderError)) return fallback(error, request, reply);
    return forwarder.forward(request, reply, error.partition, api).then(
      (forwarded) => (forwarded ? undefined : fallback(error, request, reply)),
      (failure: unknown) => fallback(toError(failure), request, reply),
    );
  };
}

const rawBodies = new WeakMap<IncomingMessage, Buffer>();

/**
 * Keeps each request body's bytes as received, next to what the app's parsers make of it (admin parses
 * JSON): a forwarded request carries exactly the bytes the client sent.
 */
export function keepRawBodies(app: FastifyInstance): void {
  app.addHook("preParsing", async (request, _reply, payload) => {
    if (request.headers["content-length"] === undefined && request.headers["transfer-encoding"] === undefined) return payload;
    const chunks: Buffer[] = [];
    const copy = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done(null, chunk);
      },
      flush(done) {
        rawBodies.set(request.raw, Buffer.concat(chunks));
        done();
      },
    });
    payload.on("error", (error) => copy.destroy(error));
    return payload.pipe(copy);
  });
}

function bodyOf(request: FastifyRequest): Buffer | undefined {
  if (Buffer.isBuffer(request.body)) return request.body;
  return rawBodies.get(request.raw);
}

/** The headers passed on; without those that describe the body when the request goes without it. */
function forwardedHeaders(headers: IncomingHttpHeaders, bodiless = false): Record<string, string | string[]> {
  const named = new Set(String(headers["connection"] ?? "").split(",").map((h) => h.trim().toLowerCase()));
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    if (bodiless && name.startsWith("content-")) continue;
    out[name] = value;
  }
  return out;
}

function answerHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP_ANSWER.has(name)) continue;
    out[name] = value;
  }
  return out;
}
