/**
 * A short, bounded code for an attempt's failure, for metrics labels and log filters. An attempt's
 * failure travels as text (it is stored as the invocation's last failure and shown by the admin API),
 * so the code is read back from the texts this folder writes (attempt-runner.ts, the transports):
 * - a service's own error (`ErrorMessage`) is written `[code] message`: its numeric code, e.g. `500`,
 *   or Restate's `570` (journal mismatch) and `571` (protocol violation);
 * - failures stet detects get a name; a Node system error its `E…` code (`ECONNREFUSED`);
 * - anything else is `other`, so a new message can never add label values without bound.
 * test/unit/invoker/failure-code.test.ts pins every producer's text to its code.
 */
export function failureCode(failure: string): string {
  const service = SERVICE_CODE.exec(failure);
  if (service !== null) return service[1]!;
  for (const [pattern, code] of NAMED) if (pattern.test(failure)) return code;
  const http = HTTP_STATUS.exec(failure);
  if (http !== null) return `http_${http[1]}`;
  const system = SYSTEM_CODE.exec(failure);
  if (system !== null) return system[1]!;
  return "other";
}

const SERVICE_CODE = /^\[(\d{1,5})\] /;
const HTTP_STATUS = /^deployment answered HTTP (\d{3}) /;
const SYSTEM_CODE = /\b(E[A-Z][A-Z_]{2,30})\b/;

const NAMED: ReadonlyArray<readonly [RegExp, string]> = [
  [/^attempt aborted$/, "aborted"],
  [/^no deployment serves /, "no_deployment"],
  [/^the deployment \S+ this invocation is pinned to is not registered any more/, "deployment_gone"],
  [/^deployment answered content-type /, "content_type"],
  [/^protocol violation: |^service sent End without an OutputCommand$/, "protocol_violation"],
  [/^stream closed without End, Suspension or Error$/, "stream_closed"],
  [/^stream closed before response headers/, "stream_reset"],
  [/^could not store the service's effects: |^storage commit failed: /, "storage"],
  [/^the service did not end the attempt within the abort timeout/, "abort_timeout"],
  [/service protocol (version|range|versions)/, "protocol_version"],
];
