/** How to reach a deployment, as discovery found it. */
export interface DeploymentTarget {
  /** The deployment's id (`dp_…`), shown as an attempt's `last_attempt_deployment_id`; absent in tests. */
  readonly id?: string;
  readonly uri: string;
  /** 2: HTTP/2 (h2c prior knowledge for http://), bidirectional streaming. 1: HTTP/1.1 request/response. */
  readonly httpVersion: 1 | 2;
  readonly additionalHeaders: Readonly<Record<string, string>>;
  readonly minProtocolVersion: number;
  readonly maxProtocolVersion: number;
}

export interface StreamResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * One HTTP exchange with a deployment. Writes are frames; `chunks` yields the response body as it
 * arrives. In request/response mode the writes are sent when `end()` is called.
 */
export interface AttemptStream {
  readonly response: Promise<StreamResponse>;
  readonly chunks: AsyncIterable<Uint8Array>;
  write(frame: Uint8Array): void;
  end(): void;
  abort(reason: Error): void;
  /**
   * Lets the rest of the response flow away once the attempt is done with it, so the stream closes
   * normally (an HTTP/2 stream without a reset, an HTTP/1.1 connection back in the pool).
   */
  drain(): void;
  /** True while the runtime may still send frames (false in request/response mode once `end()` ran). */
  readonly writable: boolean;
}

export interface Transport {
  open(target: DeploymentTarget, path: string, headers: Record<string, string>): AttemptStream;
  close(): Promise<void>;
  destroy(): void;
}
