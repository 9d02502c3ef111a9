import { pino, type DestinationStream, type Logger } from "pino";

export interface StetLoggerOptions {
  /** pino level name (`info`, `debug`, `silent`, …). */
  readonly level: string;
  /** Whether stdout is a terminal; default `process.stdout.isTTY`. A terminal gets readable lines. */
  readonly tty?: boolean;
  /** Where lines go; default stdout (file descriptor 1). */
  readonly destination?: DestinationStream;
}

/**
 * The process logger: JSON lines (what log collectors read), or readable coloured lines when a person
 * watches a terminal. pino-pretty is loaded only then: the JSON path, the one services run, loads and
 * compiles nothing more at startup. (A dynamic import of a bundled module is fine in the server bundle;
 * scripts/bundle.mjs refuses only imports of modules outside it.)
 */
export async function createLogger(options: StetLoggerOptions): Promise<Logger> {
  const tty = options.tty ?? process.stdout.isTTY === true;
  if (!tty) return options.destination === undefined ? pino({ level: options.level }) : pino({ level: options.level }, options.destination);
  const { default: pretty } = await import("pino-pretty");
  return pino(
    { level: options.level },
    pretty({
      destination: options.destination ?? 1,
      // Written before the process exits on a signal: a buffered line would be lost.
      sync: true,
      singleLine: true,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname",
    }),
  );
}
