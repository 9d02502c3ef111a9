import { useEffect, useState } from "preact/hooks";
import { replaceState } from "../../api/admin-api.js";
import { utf8Bytes } from "../../api/bytes.js";
import { getObjectState, type ObjectState } from "../../api/state-queries.js";
import { stateVersion } from "../../api/state-version.js";
import { ConfirmDialog } from "../../components/confirm-dialog.js";
import { ErrorNotice } from "../../components/error-notice.js";
import { ValueView } from "../../components/value-view.js";
import { Link } from "../../router.js";
import { useResource } from "../../use-resource.js";
import { invocationsPath } from "../invocations/invocations-path.js";
import { draftFrom } from "./state-draft.js";
import { StateEditor } from "./state-editor.js";
import { statePath } from "./state-path.js";

const REFRESH_MS = 3000;
const WAITING_REFRESH_MS = 1000;

/** A change sent and not yet seen applied: the version it was made against and the one it makes. */
interface Pending {
  readonly base: string;
  readonly expected: string;
  readonly what: string;
}

/** One object's (or workflow's) state: every entry's value, and editing or clearing it with the version check. */
export function ObjectStatePage(props: { service: string; objectKey: string }) {
  const { service, objectKey } = props;
  const [pending, setPending] = useState<Pending | undefined>(undefined);
  const state = useResource((signal) => getObjectState(service, objectKey, signal), `${service}\u0000${objectKey}`, pending === undefined ? REFRESH_MS : WAITING_REFRESH_MS);
  const [editing, setEditing] = useState<{ base: string; draft: ReturnType<typeof draftFrom> } | undefined>(undefined);
  const [asking, setAsking] = useState(false);
  const [sendError, setSendError] = useState<unknown>(undefined);
  const [saving, setSaving] = useState(false);
  const [outcome, setOutcome] = useState<string | undefined>(undefined);
  const current = state.data;

  useEffect(() => {
    if (pending === undefined || current === undefined) return;
    if (current.version === pending.expected) {
      setOutcome(`${pending.what}: applied.`);
      setPending(undefined);
    } else if (current.version !== pending.base) {
      setOutcome(`${pending.what}: not applied. The state changed before stet got to it, so the change was dropped; edit it again.`);
      setPending(undefined);
    }
  }, [current, pending]);

  const send = async (entries: Array<[string, Uint8Array]>, base: string, what: string) => {
    setSendError(undefined);
    setOutcome(undefined);
    setSaving(true);
    try {
      await replaceState(service, objectKey, entries, base);
      setEditing(undefined);
      setPending({ base, expected: stateVersion(entries.map(([k, v]) => [utf8Bytes(k), v] as const)), what });
      state.reload();
    } catch (error) {
      setSendError(error);
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <p>
        <Link to={statePath(service)}>← State of {service}</Link>
      </p>
      <h1>
        {service} / <span class="mono">{objectKey}</span>
      </h1>
      <ErrorNotice error={state.error} what="Could not read the state" />
      {current === undefined ? null : (
        <>
          <LockInfo service={service} objectKey={objectKey} state={current} />
          {editing === undefined ? (
            <div class="toolbar" role="group" aria-label="State actions">
              <button type="button" disabled={pending !== undefined} onClick={() => setEditing({ base: current.version, draft: draftFrom(current.entries) })}>
                Edit state
              </button>
              <button type="button" class="danger" disabled={pending !== undefined || current.entries.length === 0} onClick={() => setAsking(true)}>
                Clear state
              </button>
              <Link to={invocationsPath({ service, key: objectKey })}>Invocations of this key</Link>
            </div>
          ) : null}
          <p class="muted" role="status">
            {pending !== undefined ? waitingText(pending, current) : outcome}
          </p>
          <ErrorNotice error={sendError} what="The state was not changed" />
          {editing === undefined ? (
            <Entries state={current} />
          ) : (
            <>
              {editing.base !== current.version ? (
                <div class="error" role="alert">
                  The state changed since you started editing: saving now will be refused. Cancel and edit again.
                </div>
              ) : null}
              <StateEditor initial={editing.draft} saving={saving} onSave={(entries) => void send(entries, editing.base, "Saved")} onCancel={() => setEditing(undefined)} />
            </>
          )}
        </>
      )}
      <ConfirmDialog
        open={asking}
        title={`Clear the state of ${service} / ${objectKey}?`}
        confirmLabel="Clear state"
        onConfirm={() => {
          setAsking(false);
          if (current !== undefined) void send([], current.version, "Cleared");
        }}
        onCancel={() => setAsking(false)}
      >
        <p>All {current?.entries.length} entries of this key are deleted.</p>
      </ConfirmDialog>
    </>
  );
}

function waitingText(pending: Pending, state: ObjectState): string {
  if (state.lockedBy === undefined) return `${pending.what}: waiting for stet to apply it…`;
  const queued = state.queued === 0 ? "" : ` and ${state.queued} queued before it`;
  return `${pending.what}: waiting. The key is locked by ${state.lockedBy}; the change applies once it${queued} ${state.queued === 0 ? "ends" : "end"}.`;
}

function LockInfo(props: { service: string; objectKey: string; state: ObjectState }) {
  const { lockedBy, queued } = props.state;
  if (lockedBy === undefined && queued === 0) return <p class="muted">The key is free: no invocation holds it.</p>;
  return (
    <p>
      {lockedBy === undefined ? null : (
        <>
          Locked by <Link to={`invocations/${encodeURIComponent(lockedBy)}`}>{lockedBy}</Link>
        </>
      )}
      {queued === 0 ? "" : `${lockedBy === undefined ? "" : "; "}${queued} waiting in its inbox`}.
    </p>
  );
}

function Entries(props: { state: ObjectState }) {
  const { entries } = props.state;
  if (entries.length === 0) return <p class="empty">This key has no state.</p>;
  return (
    <table class="data" id="state-entries">
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.key} data-key={e.key}>
            <th scope="row" class="mono">
              {e.key}
            </th>
            <td>
              <ValueView value={e.value} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
