import { useEffect, useState } from "preact/hooks";
import { patchService, type ServiceInfo, type ServicePatch } from "../../api/admin-api.js";
import { ErrorNotice } from "../../components/error-notice.js";

type DurationField = "idempotency_retention" | "workflow_completion_retention" | "journal_retention" | "inactivity_timeout" | "abort_timeout";

const DURATIONS: readonly { field: DurationField; label: string; help: string; workflowOnly?: boolean }[] = [
  { field: "idempotency_retention", label: "Idempotency retention", help: "how long a result is kept for calls with an idempotency key" },
  { field: "workflow_completion_retention", label: "Workflow retention", help: "how long a finished workflow's result and state are kept", workflowOnly: true },
  { field: "journal_retention", label: "Journal retention", help: "how long a finished invocation's journal is kept" },
  { field: "inactivity_timeout", label: "Inactivity timeout", help: "how long a handler may stay silent before it is asked to suspend" },
  { field: "abort_timeout", label: "Abort timeout", help: "how long after that before its attempt is aborted" },
];

/**
 * The service's options as `PATCH /services/{s}` changes them: public, retentions and timeouts. Durations
 * are typed as stet prints them (`1d`, `1h 30m`, `500ms`) or in ISO 8601 (`PT1H`); only changed fields are sent.
 */
export function ServiceOptionsForm(props: { service: ServiceInfo; onSaved: () => void }) {
  const { service } = props;
  const fields = DURATIONS.filter((d) => d.workflowOnly !== true || service.ty === "Workflow");
  const initial = Object.fromEntries(fields.map((d) => [d.field, service[d.field] ?? ""])) as Record<DurationField, string>;
  const [values, setValues] = useState(initial);
  const [isPublic, setPublic] = useState(service.public);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [saved, setSaved] = useState<string | undefined>(undefined);
  // The fields start afresh whenever the options stet reports change (after a save, or someone else's).
  const reported = JSON.stringify([service.public, initial]);
  useEffect(() => {
    setValues(initial);
    setPublic(service.public);
  }, [reported]);

  const patch: ServicePatch = {};
  if (isPublic !== service.public) patch.public = isPublic;
  for (const d of fields) if (values[d.field].trim() !== initial[d.field]) patch[d.field] = values[d.field].trim();
  const changed = Object.keys(patch).length > 0;

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      await patchService(service.name, patch);
      setSaved(`Saved: ${Object.keys(patch).join(", ")}.`);
      props.onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="options" aria-label="Service options" onSubmit={(e) => void submit(e)}>
      <label class="check">
        <input type="checkbox" checked={isPublic} onChange={(e) => setPublic(e.currentTarget.checked)} /> Public (callable through the ingress)
      </label>
      {fields.map((d) => (
        <label key={d.field}>
          <span>{d.label}</span>
          <input name={d.field} value={values[d.field]} spellcheck={false} onInput={(e) => setValues({ ...values, [d.field]: e.currentTarget.value })} />
          <span class="muted help">{d.help}</span>
        </label>
      ))}
      <div class="toolbar">
        <button type="submit" class="primary" disabled={busy || !changed}>
          Save options
        </button>
        <button type="button" disabled={busy || !changed} onClick={() => (setValues(initial), setPublic(service.public))}>
          Undo changes
        </button>
        <span class="muted" role="status">
          {saved}
        </span>
      </div>
      <ErrorNotice error={error} what="The options were not saved" />
      {service.retry_policy === undefined ? null : (
        <p class="muted">
          Retries: from {service.retry_policy.initial_interval} growing ×{service.retry_policy.exponentiation_factor} up to {service.retry_policy.max_interval}
          {service.retry_policy.max_attempts === null || service.retry_policy.max_attempts === undefined ? ", without limit" : `, at most ${service.retry_policy.max_attempts} attempts, then ${service.retry_policy.on_max_attempts?.toLowerCase()}`}{" "}
          (set by the service's code).
        </p>
      )}
    </form>
  );
}
