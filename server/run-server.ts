import { createLogger } from "./logger.js";
import { toError } from "../protocol/errors.js";
import type { StetConfig } from "./config.js";
import { startStetNode, type StetNode } from "./stet-node.js";

const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Runs stet in this process until SIGTERM or SIGINT. The graceful shutdown runs under one deadline
 * (`shutdownTimeoutMs`) checked on its own timer, so a stuck or failing step cannot hold the process;
 * a second signal exits at once. Exit code 0 only when the shutdown completed cleanly in time.
 */
export async function runServer(config: StetConfig): Promise<void> {
  const log = await createLogger({ level: config.logLevel });
  let node: StetNode | undefined;
  let shuttingDown = false;
  let deadline: NodeJS.Timeout | undefined;

  const shutDown = (started: StetNode) =>
    started.close().then(
      () => {
        clearTimeout(deadline);
        log.info("shutdown complete");
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: toError(error) }, "shutdown failed");
        process.exit(1);
      },
    );
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(SIGNAL_EXIT_CODES[signal] ?? 1);
    }
    shuttingDown = true;
    log.info({ signal, timeoutMs: config.shutdownTimeoutMs }, "shutting down");
    deadline = setTimeout(() => {
      log.error({ timeoutMs: config.shutdownTimeoutMs }, "shutdown deadline passed: exiting anyway");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    // A signal during startup is served once the node has started (below).
    if (node !== undefined) void shutDown(node);
  };
  // Before the node starts: without a listener, a SIGTERM that comes right after "stet is ready" is
  // printed would still end the process the default way, without the graceful shutdown.
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);

  try {
    node = await startStetNode(config, { logger: log });
  } catch (error) {
    clearTimeout(deadline);
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    throw error;
  }
  if (shuttingDown) void shutDown(node);
}
