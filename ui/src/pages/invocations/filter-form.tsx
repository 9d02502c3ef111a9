import { useState } from "preact/hooks";
import type { ServiceInfo } from "../../api/admin-api.js";
import type { ListFilter } from "../../api/invocation-list.js";
import { INVOCATION_STATUSES, type InvocationStatus } from "../../api/queries.js";
import { navigate } from "../../router.js";
import { invocationsPath, type ListView } from "./invocations-path.js";

/** An ISO instant as a `datetime-local` value (the person's own time zone), and back. */
function toLocalInput(iso: string | undefined): string {
  if (iso === undefined) return "";
  const date = new Date(iso);
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}
function fromLocalInput(value: string): string | undefined {
  if (value.trim() === "") return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

type Fields = Record<"status" | "service" | "handler" | "key" | "id" | "idempotencyKey" | "deployment" | "createdAfter" | "createdBefore", string>;

/** The filters; applied on submit (Enter in any field), which puts them in the address. */
export function FilterForm(props: { filter: ListFilter; view: ListView; services: readonly ServiceInfo[] }) {
  const f = props.filter;
  const [fields, setFields] = useState<Fields>({
    status: f.status ?? "",
    service: f.service ?? "",
    handler: f.handler ?? "",
    key: f.key ?? "",
    id: f.id ?? "",
    idempotencyKey: f.idempotencyKey ?? "",
    deployment: f.deployment ?? "",
    createdAfter: toLocalInput(f.createdAfter),
    createdBefore: toLocalInput(f.createdBefore),
  });
  const set = (name: keyof Fields) => (e: { currentTarget: { value: string } }) => setFields({ ...fields, [name]: e.currentTarget.value });
  const names = props.services.map((s) => s.name);
  const services = f.service === undefined || names.includes(f.service) ? names : [f.service, ...names];
  const handlers = [...new Set(props.services.filter((s) => fields.service === "" || s.name === fields.service).flatMap((s) => s.handlers.map((h) => h.name)))].sort();
  const submit = (event: Event) => {
    event.preventDefault();
    const blank = (v: string) => (v.trim() === "" ? undefined : v.trim());
    navigate(
      invocationsPath(
        {
          status: blank(fields.status) as InvocationStatus | undefined,
          service: blank(fields.service),
          handler: blank(fields.handler),
          key: blank(fields.key),
          id: blank(fields.id),
          idempotencyKey: blank(fields.idempotencyKey),
          deployment: blank(fields.deployment),
          createdAfter: fromLocalInput(fields.createdAfter),
          createdBefore: fromLocalInput(fields.createdBefore),
        },
        props.view,
      ),
    );
  };
  return (
    <form class="filters" onSubmit={submit} aria-label="Filter invocations">
      <label>
        Status
        <select name="status" value={fields.status} onChange={set("status")}>
          <option value="">any</option>
          {INVOCATION_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Service
        <select name="service" value={fields.service} onChange={set("service")}>
          <option value="">any</option>
          {services.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Handler
        <input name="handler" list="handler-names" value={fields.handler} spellcheck={false} onInput={set("handler")} />
        <datalist id="handler-names">
          {handlers.map((h) => (
            <option key={h} value={h} />
          ))}
        </datalist>
      </label>
      <label>
        Key
        <input name="key" value={fields.key} spellcheck={false} onInput={set("key")} />
      </label>
      <label>
        Invocation id
        <input name="id" class="wide" value={fields.id} placeholder="inv_…" spellcheck={false} onInput={set("id")} />
      </label>
      <label>
        Idempotency key
        <input name="idempotency_key" value={fields.idempotencyKey} spellcheck={false} onInput={set("idempotencyKey")} />
      </label>
      <label>
        Deployment
        <input name="deployment" value={fields.deployment} placeholder="dp_…" spellcheck={false} onInput={set("deployment")} />
      </label>
      <label>
        Created after
        <input name="created_after" type="datetime-local" step="1" value={fields.createdAfter} onInput={set("createdAfter")} />
      </label>
      <label>
        Created before
        <input name="created_before" type="datetime-local" step="1" value={fields.createdBefore} onInput={set("createdBefore")} />
      </label>
      <button type="submit">Apply</button>
      <button type="button" onClick={() => navigate(invocationsPath({}, props.view))}>
        Clear
      </button>
    </form>
  );
}
