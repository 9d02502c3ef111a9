import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { invocationAction } from "../api/admin-api.js";
import { getInvocation, getJournal, type InvocationDetail, type JournalEntry } from "../api/queries.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { ErrorNotice } from "../components/error-notice.js";
import { StatusBadge } from "../components/status-badge.js";
import { formatTime } from "../format.js";
import { Link } from "../router.js";
import { useResource } from "../use-resource.js";
import { actionsFor, type ActionInfo } from "./invocation-actions.js";
import { invocationsPath } from "./invocations-path.js";

const REFRESH_MS = 2000;

/** One invocation: what it targets, where it stands, why it fails, its journal, and the operator's actions. */
export function InvocationPage(props: { id: string }) {
  const { id } = props;
  const invocation = useResource((signal) => getInvocation(id, signal), id, REFRESH_MS);
  const journal = useResource((signal) => getJournal(id, signal), id, REFRESH_MS);
  const [asking, setAsking] = useState<ActionInfo | undefined>(undefined);
  const [actionError, setActionError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);

  const run = async (info: ActionInfo) => {
    setAsking(undefined);
    setActionError(undefined);
    setDone(undefined);
    try {
      await invocationAction(id, info.action);
      setDone(`${info.label}: requested.`);
    } catch (error) {
      setActionError(error);
    }
    invocation.reload();
    journal.reload();
  };
  const inv = invocation.data;

  return (
    <>
      <p>
        <Link to={invocationsPath({})}>← Invocations</Link>
      </p>
      <h1 class="mono">{id}</h1>
      <ErrorNotice error={invocation.error} what="Could not load the invocation" />
      {invocation.loadedAt !== undefined && inv === undefined ? <p class="empty">No invocation with this id (never created, or purged).</p> : null}
      {inv === undefined ? null : (
        <>
          <div class="toolbar" role="group" aria-label="Actions">
            {actionsFor(inv.status).map((a) => (
              <button key={a.action} type="button" class={a.warning === undefined ? "" : "danger"} onClick={() => (a.warning === undefined ? void run(a) : setAsking(a))}>
                {a.label}
              </button>
            ))}
            <span class="muted" role="status">
              {done}
            </span>
          </div>
          <ErrorNotice error={actionError} what="The action failed" />
          <Details inv={inv} />
        </>
      )}
      <h2>Journal</h2>
      <ErrorNotice error={journal.error} what="Could not load the journal" />
      {journal.data === undefined ? null : <Journal entries={journal.data} failedAt={inv?.last_failure_related_entry_index} />}
      <ConfirmDialog
        open={asking !== undefined}
        title={`${asking?.label ?? ""} this invocation?`}
        confirmLabel={asking?.label ?? ""}
        onConfirm={() => asking !== undefined && void run(asking)}
        onCancel={() => setAsking(undefined)}
      >
        <p>{asking?.warning}</p>
      </ConfirmDialog>
    </>
  );
}

function Details(props: { inv: InvocationDetail }) {
  const { inv } = props;
  const rows: [string, ComponentChildren][] = [
    ["Target", <span class="mono">{inv.target}</span>],
    ["Status", <StatusBadge status={inv.status} result={inv.completion_result} />],
    ["Service type", inv.target_service_ty],
    ["Invoked by", inv.invoked_by_id === undefined ? inv.invoked_by : <Link to={`invocations/${encodeURIComponent(inv.invoked_by_id)}`}>{inv.invoked_by_target ?? inv.invoked_by_id}</Link>],
    ["Idempotency key", inv.idempotency_key],
    ["Deployment", inv.pinned_deployment_id],
    ["Created", formatTime(inv.created_at)],
    ["Modified", formatTime(inv.modified_at)],
    ["Completed", formatTime(inv.completed_at)],
    ["Failure", inv.completion_failure],
    ["Retry count", String(inv.retry_count ?? 0)],
    ["Next retry", formatTime(inv.next_retry_at)],
    ["Last failure", lastFailure(inv)],
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

function lastFailure(inv: InvocationDetail): string | undefined {
  if (inv.last_failure === undefined) return undefined;
  const code = inv.last_failure_error_code === undefined ? "" : `[${inv.last_failure_error_code}] `;
  const at =
    inv.last_failure_related_entry_index === undefined
      ? ""
      : ` (at journal entry ${inv.last_failure_related_entry_index}${inv.last_failure_related_entry_name ? ` "${inv.last_failure_related_entry_name}"` : ""})`;
  return `${code}${inv.last_failure}${at}`;
}

function Journal(props: { entries: readonly JournalEntry[]; failedAt: number | undefined }) {
  if (props.entries.length === 0) return <p class="empty">The journal is empty.</p>;
  return (
    <ol class="journal" id="journal">
      {props.entries.map((e) => (
        <li key={e.index} class={e.index === props.failedAt ? "failed" : ""} data-index={e.index}>
          <span class="index">{e.index}</span>
          <span class="entry-type">{e.entry_type}</span>
          <span class="entry-name">{e.name ?? ""}</span>
          <span class="entry-extra">{entryExtra(e)}</span>
          <span class="muted">{formatTime(e.appended_at)}</span>
        </li>
      ))}
    </ol>
  );
}

function entryExtra(e: JournalEntry): ComponentChildren {
  if (e.invoked_id !== undefined) return <Link to={`invocations/${encodeURIComponent(e.invoked_id)}`}>{e.invoked_target ?? e.invoked_id}</Link>;
  if (e.sleep_wakeup_at !== undefined) return `until ${formatTime(e.sleep_wakeup_at)}`;
  if (e.promise_name !== undefined) return `promise ${e.promise_name}`;
  return e.completed === false ? "waiting" : "";
}
