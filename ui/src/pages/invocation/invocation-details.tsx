import type { ComponentChildren } from "preact";
import type { InvocationDetail } from "../../api/queries.js";
import { StatusBadge } from "../../components/status-badge.js";
import { formatTime } from "../../format.js";
import { Link } from "../../router.js";
import { servicePath } from "../services/services-path.js";
import { formatDuration } from "./timing.js";

const invocationLink = (id: string, text?: string) => <Link to={`invocations/${encodeURIComponent(id)}`}>{text ?? id}</Link>;

/** What the invocation targets, where it stands, who started it, and why it fails (at which journal entry). */
export function InvocationDetails(props: { inv: InvocationDetail; failedAt: { index: number; name: string } | undefined }) {
  const { inv } = props;
  const created = inv.created_at === undefined ? undefined : Date.parse(inv.created_at);
  const completed = inv.completed_at === undefined ? undefined : Date.parse(inv.completed_at);
  const rows: [string, ComponentChildren][] = [
    [
      "Target",
      <>
        <Link to={servicePath(inv.target_service_name)}>{inv.target_service_name}</Link>
        <span class="mono">/{inv.target_service_key === undefined ? "" : `${inv.target_service_key}/`}{inv.target_handler_name}</span>
      </>,
    ],
    ["Status", <StatusBadge status={inv.status} result={inv.completion_result} />],
    ["Service type", inv.target_service_ty],
    ["Invoked by", inv.invoked_by_id === undefined ? inv.invoked_by : invocationLink(inv.invoked_by_id, inv.invoked_by_target ?? inv.invoked_by_id)],
    ["Restarted from", inv.restarted_from === undefined ? undefined : invocationLink(inv.restarted_from)],
    ["Idempotency key", inv.idempotency_key],
    ["Pinned deployment", inv.pinned_deployment_id],
    ["Last attempt on", inv.last_attempt_deployment_id === undefined ? undefined : `${inv.last_attempt_deployment_id}${inv.last_attempt_server === undefined ? "" : ` (${inv.last_attempt_server})`}`],
    ["Created", formatTime(inv.created_at)],
    ["Scheduled for", formatTime(inv.scheduled_start_at)],
    ["Modified", formatTime(inv.modified_at)],
    ["Completed", formatTime(inv.completed_at)],
    ["Took", created !== undefined && completed !== undefined ? formatDuration(completed - created) : undefined],
    ["Failure", inv.completion_failure],
    ["Retry count", String(inv.retry_count ?? 0)],
    ["Next retry", formatTime(inv.next_retry_at)],
    ["Last failure", lastFailure(inv, props.failedAt)],
  ];
  return (
    <dl class="details">
      {rows
        .filter(([, value]) => value !== undefined && value !== "")
        .map(([label, value]) => (
          <div key={label} data-field={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
    </dl>
  );
}

/**
 * The last failure: its first line (`[500 Internal] message` as Restate writes it, `[500] message` as stet
 * does), its error code when the message does not already carry it, the entry it happened at, and the
 * rest (a stack trace) folded away.
 */
function lastFailure(inv: InvocationDetail, at: { index: number; name: string } | undefined): ComponentChildren {
  if (inv.last_failure === undefined) return undefined;
  const [first = "", ...rest] = inv.last_failure.split("\n");
  const code = inv.last_failure_error_code;
  const showCode = code !== undefined && !first.startsWith(`[${code}`);
  return (
    <>
      <span class="failure-text">
        {showCode ? `[${code}] ` : ""}
        {first}
      </span>
      {at === undefined ? null : (
        <span class="muted">
          {" "}
          at journal entry {at.index}
          {at.name === "" ? "" : ` "${at.name}"`}
        </span>
      )}
      {rest.length === 0 ? null : (
        <details class="stack">
          <summary>Details</summary>
          <pre>{rest.join("\n")}</pre>
        </details>
      )}
    </>
  );
}
