import type { StetError } from "../../protocol/errors.js";

/**
 * What both health routes (admin `GET /health`, ingress `GET /restate/health`) ask before answering 200:
 * why this node cannot serve right now (its store unreachable), or undefined when it can. Called on every
 * health request, so it must be cheap: it reads a recorded outcome, it does not query the store.
 */
export type HealthProbe = () => StetError | undefined;

/** The body of a 503 health answer: the stable code and the reason. */
export function unhealthyBody(problem: StetError): { code: string; message: string } {
  return { code: problem.code, message: problem.message };
}
