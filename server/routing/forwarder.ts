import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from "node:http";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Agent, request as undiciRequest } from "undici";
import { InvocationMovedError, NotLeaderError } from "../../partition/index.js";
import { toError } from "../../protocol/errors.js";
import type { NodeAddress } from "../../postgres/node-directory.js";
import { noteForwarding, type ForwardedApi, type ForwardedRequest, type ForwardOutcome } from "./forwarded-request.js";
import type { LeaderMap } from "./leader-map.js";
import { ForwardStoppedError, LeaderUnreachableError } from "./routing-errors.js";

/**
 * Marks a request one node passed on to another (its value: the forwarding node's id). A node never
 * forwards such a request again: when leadership moved meanwhile it answers 503 and the client retries,
 * so two nodes with stale maps cannot bounce a request between them.
 */
export const FORWARDED_HEADER = "x-stet-forwarded";

/**
 * Marks a request one node made to another as a part of answering its own (a batch's ids on their
 * leader, an invocation's caller; its value: the asking node's id). It carries FORWARDED_HEADER too. A
 * node answers such a request from what it leads, never asking a third node, so a part has no parts.
 */
export const PART_HEADER = "x-stet-part-of";

// RFC 9110 §7.6.1: connection-specific headers are not passed on; content-length is set again from the body.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"]);
const HOP_BY_HOP_ANSWER = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]);

export interface RequestForwarderOptions {
  /** This node's id, sent in FORWARDED_HEADER. */
  readonly self: string;
  readonly leaders: LeaderMap;
  /** Aborted when the node begins to stop: forwarded requests under way then end with a 503. */
  readonly shutdown?: AbortSignal;
  /** Told of every request passed on, once it ended (the forwarded-requests metric counts them). */
  readonly onForwarded?: (request: ForwardedRequest) => void;
  /**
   * How long a caller whose invocation moved to another node waits for the partition's next leader to
   * be known, in ms. Default 10 000: a handover takes a placement round, a failover a lease.
   */
  readonly movedWaitMs?: number;
}

/** A request as it goes to the leader. */
interface Outgoing {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer | undefined;
}

/** A request of this node's own making for another node (one part of a request that spans partitions). */
export interface LeaderRequest {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Path and query, as the other node's app routes them. */
  readonly path: string;
  /** Sent as JSON. */
  readonly json?: unknown;
}

/** What the leader answered a LeaderRequest. */
export interface LeaderAnswer {
  readonly leader: string;
  readonly status: number;
  readonly body: Buffer;
}

type Answer = Awaited<ReturnType<typeof undiciRequest>>;

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
    noteForwarding(request, leader.nodeId, partition);
    const outgoing = { url: request.raw.url ?? "/", method: request.method, headers: forwardedHeaders(request.headers), body: bodyOf(request) };
    return (await this.#relay(request, reply, leader, partition, api, outgoing, false)) === true;
  }

  /**
   * A caller waited here for an invocation whose partition moved to another node: attaches to it at
   * the partition's next leader (once one is known, waiting up to movedWaitMs) and streams its answer
   * back. Also for a request that was forwarded here: attaching runs nothing a second time, and the
   * next leader answers it itself. Resolves false when no leader turned up in time.
   */
  async attachMoved(request: FastifyRequest, reply: FastifyReply, moved: InvocationMovedError): Promise<boolean> {
    const deadline = Date.now() + (this.#options.movedWaitMs ?? 10_000);
    const url = `/restate/invocation/${encodeURIComponent(moved.invocationId)}/attach`;
    for (;;) {
      if (this.#options.shutdown?.aborted === true) throw new ForwardStoppedError(moved.partition, "its next leader");
      const leader = await this.#options.leaders.leaderOf(moved.partition);
      if (leader !== undefined) {
        noteForwarding(request, leader.nodeId, moved.partition);
        const outgoing = { url, method: "GET", headers: forwardedHeaders(request.headers, true), body: undefined };
        // The next leader holds the lease but may still be loading the partition: then it answers 503
        // and is asked again.
        const relayed = await this.#relay(request, reply, leader, moved.partition, "ingress", outgoing, Date.now() < deadline);
        if (relayed !== "again") return relayed;
      }
      if (Date.now() >= deadline) return false;
      this.#options.leaders.forget();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Sends `outgoing` to the leader and streams its answer back; "again" for a 503 when `again`, unsent. */
  async #relay(
    request: FastifyRequest,
    reply: FastifyReply,
    leader: NodeAddress,
    partition: number,
    api: ForwardedApi,
    outgoing: Outgoing,
    again: boolean,
  ): Promise<boolean | "again"> {
    const controller = new AbortController();
    // The response closing before it was written means the caller is gone: stop asking the leader.
    const onClose = () => {
      if (!reply.raw.writableFinished) controller.abort(new Error("the caller disconnected"));
    };
    reply.raw.once("close", onClose);
    const unlink = this.#stopOnShutdown(controller, partition, leader.nodeId);
    try {
      const answer = await this.#send(leader, partition, api, controller, outgoing);
      if (answer !== undefined && answer.statusCode === 503 && again) {
        await answer.body.dump();
        return "again";
      }
      if (answer === undefined) {
        // Nobody is left to answer.
        reply.hijack();
        reply.raw.destroy();
        return true;
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
      unlink();
      reply.raw.off("close", onClose);
    }
  }

  /**
   * Asks the node that leads `partition` one request of this node's own making, marked as forwarded and
   * as a part (PART_HEADER), so that node serves it from what it leads. Resolves undefined when no other live node leads the partition. Rejects
   * with LeaderUnreachableError when the leader could not be asked, ForwardStoppedError when this node
   * stops first, or the abort reason of `signal`.
   */
  async ask(partition: number, api: ForwardedApi, request: LeaderRequest, signal?: AbortSignal): Promise<LeaderAnswer | undefined> {
    const leader = await this.#options.leaders.leaderOf(partition);
    if (leader === undefined) return undefined;
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const unlink = this.#stopOnShutdown(controller, partition, leader.nodeId);
    try {
      const body = request.json === undefined ? undefined : Buffer.from(JSON.stringify(request.json));
      const answer = await this.#send(leader, partition, api, controller, {
        url: request.path,
        method: request.method,
        headers: { [PART_HEADER]: this.#options.self, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body,
      });
      if (answer === undefined) throw toError(signal?.reason ?? controller.signal.reason);
      return { leader: leader.nodeId, status: answer.statusCode, body: Buffer.from(await answer.body.arrayBuffer()) };
    } finally {
      unlink();
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Sends one request to `leader` and reports how it ended. Resolves with the answer (whose body the
   * caller reads), undefined when `controller` was aborted for the caller (it left); rejects with
   * ForwardStoppedError when it was aborted because this node stops. Forgets the leader map when
   * the leader could not be asked or answered 503.
   */
  async #send(
    leader: NodeAddress,
    partition: number,
    api: ForwardedApi,
    controller: AbortController,
    init: Outgoing,
  ): Promise<Answer | undefined> {
    const report = (outcome: ForwardOutcome) => this.#options.onForwarded?.({ api, partition, leader: leader.nodeId, outcome });
    try {
      const answer = await undiciRequest((api === "ingress" ? leader.ingressUrl : leader.adminUrl) + init.url, {
        method: init.method as "GET",
        headers: { ...init.headers, [FORWARDED_HEADER]: this.#options.self },
        body: init.body,
        signal: controller.signal,
        dispatcher: this.#agent,
      });
      // The leader moved on since the map was read: ask PostgreSQL again next time.
      if (answer.statusCode === 503) this.#options.leaders.forget();
      report("answered");
      return answer;
    } catch (error) {
      this.#options.leaders.forget();
      const reason: unknown = controller.signal.reason;
      if (reason instanceof ForwardStoppedError) {
        report("stopped");
        throw reason;
      }
      if (controller.signal.aborted) {
        report("abandoned");
        return undefined;
      }
      report("unreachable");
      throw new LeaderUnreachableError(partition, leader.nodeId, error);
    }
  }

  /** Aborts `controller` with ForwardStoppedError once this node begins to stop; returns the undo. */
  #stopOnShutdown(controller: AbortController, partition: number, leader: string): () => void {
    const shutdown = this.#options.shutdown;
    if (shutdown === undefined) return () => {};
    const onShutdown = () => controller.abort(new ForwardStoppedError(partition, leader));
    if (shutdown.aborted) onShutdown();
    shutdown.addEventListener("abort", onShutdown, { once: true });
    return () => shutdown.removeEventListener("abort", onShutdown);
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
