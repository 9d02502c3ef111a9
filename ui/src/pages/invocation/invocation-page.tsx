import { useMemo, useState } from "preact/hooks";
import { invocationAction, restartAsNew } from "../../api/admin-api.js";
import { getChildren, getInvocation, getJournal } from "../../api/queries.js";
import { ConfirmDialog } from "../../components/confirm-dialog.js";
import { ErrorNotice } from "../../components/error-notice.js";
import { Link } from "../../router.js";
import { useResource } from "../../use-resource.js";
import { invocationsPath } from "../invocations/invocations-path.js";
import { actionsFor, type ActionInfo } from "./invocation-actions.js";
import { InvocationDetails } from "./invocation-details.js";
import { ChildrenTable } from "./children-table.js";
import { failedEntryIndex, journalTimeline, restartPoints } from "./journal-model.js";
import { JournalTimeline } from "./journal-timeline.js";
import { TimingBars } from "./timing-bars.js";
import { timingSpans } from "./timing.js";

const REFRESH_MS = 2000;

/** What the person is asked to confirm: a destructive action, or a restart from an entry. */
type Question = { readonly kind: "action"; readonly info: ActionInfo } | { readonly kind: "restart"; readonly from: number };

/** One invocation: what it targets, where it stands, why it fails, its calls, its journal, and the operator's actions. */
export function InvocationPage(props: { id: string }) {
  const { id } = props;
  const invocation = useResource((signal) => getInvocation(id, signal), id, REFRESH_MS);
  const journal = useResource((signal) => getJournal(id, signal), id, REFRESH_MS);
  const entries = useMemo(() => journalTimeline(journal.data ?? []), [journal.data]);
  const calleeIds = [...new Set(entries.flatMap((e) => (e.kind === "command" && e.calleeId !== undefined ? [e.calleeId] : [])))];
  const children = useResource((signal) => getChildren(id, calleeIds, signal), `${id} ${calleeIds.join(" ")}`, REFRESH_MS);
  const [asking, setAsking] = useState<Question | undefined>(undefined);
  const [actionError, setActionError] = useState<unknown>(undefined);
  const [done, setDone] = useState<{ text: string; newId?: string } | undefined>(undefined);
  const inv = invocation.data;
  const now = (journal.loadedAt ?? new Date()).getTime();
  const points = inv?.status === "completed" ? restartPoints(entries) : undefined;
  const failedIndex =
    inv?.last_failure === undefined
      ? undefined
      : failedEntryIndex(entries, { entryIndex: inv.last_failure_related_entry_index, commandIndex: inv.last_failure_related_command_index });
  const failedEntry = entries.find((e) => e.index === failedIndex);

  const reload = () => {
    invocation.reload();
    journal.reload();
    children.reload();
  };
  const run = async (info: ActionInfo) => {
    setAsking(undefined);
    setActionError(undefined);
    setDone(undefined);
    try {
      await invocationAction(id, info.action);
      setDone({ text: `${info.label}: requested.` });
    } catch (error) {
      setActionError(error);
    }
    reload();
  };
  const restart = async (from: number) => {
    setAsking(undefined);
    setActionError(undefined);
    setDone(undefined);
    try {
      const newId = await restartAsNew(id, from);
      setDone({ text: from === 0 ? "Restarted from the start as " : `Restarted from entry ${from} as `, newId });
    } catch (error) {
      setActionError(error);
    }
  };

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
              <button key={a.action} type="button" class={a.warning === undefined ? "" : "danger"} onClick={() => (a.warning === undefined ? void run(a) : setAsking({ kind: "action", info: a }))}>
                {a.label}
              </button>
            ))}
            {inv.status === "completed" ? (
              <button type="button" onClick={() => setAsking({ kind: "restart", from: 0 })}>
                Restart as new
              </button>
            ) : null}
            <span class="muted" role="status">
              {done === undefined ? null : (
                <>
                  {done.text}
                  {done.newId === undefined ? null : <Link to={`invocations/${encodeURIComponent(done.newId)}`}>{done.newId}</Link>}
                  {done.newId === undefined ? null : "."}
                </>
              )}
            </span>
          </div>
          <ErrorNotice error={actionError} what="The action failed" />
          <InvocationDetails inv={inv} failedAt={failedEntry === undefined ? undefined : { index: failedEntry.index, name: failedEntry.name }} />
          <h2>Called invocations</h2>
          <ErrorNotice error={children.error} what="Could not load the invocations it called" />
          {children.data === undefined ? null : <ChildrenTable children={children.data} />}
        </>
      )}
      <h2>Journal</h2>
      <ErrorNotice error={journal.error} what="Could not load the journal" />
      {inv === undefined || journal.data === undefined ? null : <TimingBars spans={timingSpans(inv, entries, children.data ?? [], now)} />}
      {journal.data === undefined ? null : (
        <JournalTimeline entries={entries} failedAt={failedIndex} now={now} restartPoints={points} onRestart={(from) => setAsking({ kind: "restart", from })} />
      )}
      <ConfirmDialog
        open={asking !== undefined}
        title={asking?.kind === "restart" ? (asking.from === 0 ? "Restart this invocation as new?" : `Restart as new from entry ${asking.from}?`) : `${asking?.info.label ?? ""} this invocation?`}
        confirmLabel={asking?.kind === "restart" ? "Restart" : (asking?.info.label ?? "")}
        cancelLabel={asking?.kind === "restart" ? "Don't restart" : undefined}
        danger={asking?.kind !== "restart"}
        onConfirm={() => {
          if (asking?.kind === "action") void run(asking.info);
          if (asking?.kind === "restart") void restart(asking.from);
        }}
        onCancel={() => setAsking(undefined)}
      >
        <p>
          {asking?.kind === "action"
            ? asking.info.warning
            : asking?.from === 0
              ? "A new invocation runs the same handler with the same input, from the start."
              : `A new invocation starts with entries 0 to ${asking?.from ?? 0} of this journal (and their results) and runs the handler on from there: those steps are not run again.`}
        </p>
      </ConfirmDialog>
    </>
  );
}
