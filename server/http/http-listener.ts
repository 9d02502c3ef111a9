import http from "node:http";
import net, { type AddressInfo, type Socket } from "node:net";
import { StetError } from "../../protocol/errors.js";

/**
 * One HTTP port of stet, bound before its fastify app exists and closed gently at shutdown.
 *
 * Binding first means a port that is taken fails the start before the data folder is touched. At
 * shutdown, `drain()` stops accepting connections but keeps the open ones: a request that arrives on a
 * keep-alive connection from then on gets a complete 503 with `Connection: close` instead of a reset,
 * and every response still under way closes its connection once sent. Idle connections are closed only
 * after a grace period (`close()`): Node's own `server.close()` closes them at once, and a request
 * already on the wire to such a connection is then lost to a reset (seen under load: 26 of 32 clients).
 */

export const LISTEN_ERROR_CODES = {
  /** Another process listens on the port. */
  portInUse: "STET_PORT_IN_USE",
  /** The port cannot be bound for another reason (no permission, an address this machine does not have). */
  cannotListen: "STET_CANNOT_LISTEN",
} as const;

export class ListenError extends StetError {
  constructor(code: (typeof LISTEN_ERROR_CODES)[keyof typeof LISTEN_ERROR_CODES], message: string, cause: unknown) {
    super(code, message, { status: 500, cause });
    this.name = "ListenError";
  }
}

export type RequestListener = (request: http.IncomingMessage, response: http.ServerResponse) => void;

export interface HttpListenerOptions {
  /** What the port serves, for messages: "ingress", "admin". */
  readonly role: string;
  readonly host: string;
  readonly port: number;
  /** The flag and environment variable that set the port, named when it cannot be bound. */
  readonly portSetting: { readonly flag: string; readonly env: string };
  /** Answers a request that arrives while stet starts or shuts down: a 503 in the app's error shape. */
  readonly unavailable: (response: http.ServerResponse, reason: "starting" | "stopping") => void;
  /** Time allowed to receive a whole request, in ms (Node's `requestTimeout`); 0 = none. Default 0. */
  readonly requestTimeoutMs?: number;
}

/**
 * How long an idle keep-alive connection is kept once shutdown began, in ms: long enough for a request
 * sent before the signal to arrive over any sane network path and get its 503, short enough not to make
 * every stop with a client's idle pool open (health checkers, load balancers) wait long.
 */
export const DEFAULT_IDLE_GRACE_MS = 250;
/** Idle time after which Node closes a keep-alive connection, in ms (fastify's default: above common proxies' 60 s). */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

export class HttpListener {
  readonly server: http.Server;
  readonly #options: HttpListenerOptions;
  #app: RequestListener | undefined;
  #draining = false;
  readonly #active = new Set<http.ServerResponse>();
  readonly #sockets = new Set<Socket>();
  /** Who waits for no request (drain) or no connection (close) to be left. */
  readonly #waiters = new Set<{ readonly quiet: () => boolean; readonly resolve: () => void }>();
  #closed: Promise<void> | undefined;
  #port = 0;

  private constructor(options: HttpListenerOptions) {
    this.#options = options;
    this.server = http.createServer({ requestTimeout: options.requestTimeoutMs ?? 0 }, this.#dispatch);
    this.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    this.server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once("close", () => {
        this.#sockets.delete(socket);
        this.#checkQuiet();
      });
    });
  }

  /** Binds the port; a port that cannot be bound fails with one clear ListenError naming its flag. */
  static async bind(options: HttpListenerOptions): Promise<HttpListener> {
    const listener = new HttpListener(options);
    await new Promise<void>((resolve, reject) => {
      listener.server.once("error", reject);
      listener.server.listen({ host: options.host, port: options.port }, () => {
        listener.server.off("error", reject);
        listener.#port = (listener.server.address() as AddressInfo).port;
        resolve();
      });
    }).catch((error: unknown) => {
      throw listenError(options, error);
    });
    return listener;
  }

  /** The port actually bound (differs from the option when it was 0). */
  get port(): number {
    return this.#port;
  }

  /** The URL to reach the port on this machine. */
  get url(): string {
    const { host } = this.#options;
    const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
    return `http://${shown}:${this.port}`;
  }

  /** fastify's `serverFactory`: the app's handler serves this listener's requests from now on. */
  readonly serverFactory = (handler: RequestListener): http.Server => {
    this.#app = handler;
    return this.server;
  };

  /**
   * Stops accepting connections and answers every later request with 503; resolves once each request
   * that arrived before has been answered. Idempotent.
   */
  drain(): Promise<void> {
    if (!this.#draining) {
      this.#draining = true;
      // net.Server's close only stops accepting; http.Server's would also cut idle keep-alive connections.
      net.Server.prototype.close.call(this.server);
      for (const response of this.#active) if (!response.headersSent) response.setHeader("connection", "close");
    }
    return this.#whenQuiet(() => this.#active.size === 0);
  }

  /**
   * Drains, then waits up to `idleGraceMs` for clients to close their idle connections (a request on one
   * gets its 503 meanwhile), then closes whatever is left. Idempotent; the first grace applies.
   */
  close(idleGraceMs = DEFAULT_IDLE_GRACE_MS): Promise<void> {
    this.#closed ??= (async () => {
      await this.drain();
      if (this.#sockets.size > 0 && idleGraceMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.#whenQuiet(() => this.#sockets.size === 0),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, idleGraceMs))),
        ]);
        clearTimeout(timer);
      }
      this.server.closeAllConnections();
      // http.Server's close also stops its connection-checking interval; listening already stopped.
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    })();
    return this.#closed;
  }

  readonly #dispatch = (request: http.IncomingMessage, response: http.ServerResponse): void => {
    const app = this.#app;
    if (this.#draining || app === undefined) {
      this.#refuse(request, response, app === undefined ? "starting" : "stopping");
      return;
    }
    this.#active.add(response);
    response.once("close", () => {
      this.#active.delete(response);
      this.#checkQuiet();
    });
    app(request, response);
  };

  /** Reads the request to its end first, so the client sees the answer rather than a reset of its upload. */
  #refuse(request: http.IncomingMessage, response: http.ServerResponse, reason: "starting" | "stopping"): void {
    if (reason === "stopping") response.setHeader("connection", "close");
    request.once("end", () => this.#options.unavailable(response, reason));
    request.once("error", () => response.destroy());
    request.resume();
  }

  #whenQuiet(quiet: () => boolean): Promise<void> {
    if (quiet()) return Promise.resolve();
    return new Promise<void>((resolve) => this.#waiters.add({ quiet, resolve }));
  }

  #checkQuiet(): void {
    for (const waiter of this.#waiters) {
      if (!waiter.quiet()) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }
}

function listenError(options: HttpListenerOptions, error: unknown): ListenError {
  const { role, host, port, portSetting } = options;
  const code = (error as NodeJS.ErrnoException).code;
  const choose = `choose another with ${portSetting.flag} (or ${portSetting.env})`;
  switch (code) {
    case "EADDRINUSE":
      return new ListenError(LISTEN_ERROR_CODES.portInUse, `${role} port ${port} on ${host} is already in use; ${choose}`, error);
    case "EACCES":
      return new ListenError(LISTEN_ERROR_CODES.cannotListen, `${role} port ${port} on ${host}: permission denied; ${choose}`, error);
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return new ListenError(
        LISTEN_ERROR_CODES.cannotListen,
        `cannot listen on ${host}: it is not an address of this machine; set --host (or STET_HOST)`,
        error,
      );
    default:
      return new ListenError(
        LISTEN_ERROR_CODES.cannotListen,
        `cannot listen on ${role} port ${port} on ${host}: ${error instanceof Error ? error.message : String(error)}`,
        error,
      );
  }
}
