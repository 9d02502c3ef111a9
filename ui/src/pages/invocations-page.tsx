import { useState } from "preact/hooks";
import { listServices } from "../api/admin-api.js";
import { INVOCATION_STATUSES, listInvocations, type InvocationFilter } from "../api/queries.js";
import { ErrorNotice } from "../components/error-notice.js";
import { StatusBadge } from "../components/status-badge.js";
import { formatTime } from "../format.js";
import { Link, navigate, type Location } from "../router.js";
import { useResource } from "../use-resource.js";
import { filterFromQuery, invocationsPath } from "./invocations-path.js";

const PAGE_SIZE = 50;
const REFRESH_MS = 2000;

/** Invocations, newest first, filtered by status, service and id, a page at a time, refreshed live. */
export function InvocationsPage(props: { location: Location }) {
  const { filter, page } = filterFromQuery(props.location.query);
  const [live, setLive] = useState(true);
  const key = invocationsPath(filter, page);
  const list = useResource((signal) => listInvocations(filter, { offset: page * PAGE_SIZE, size: PAGE_SIZE }, signal), key, live ? REFRESH_MS : undefined);
  const services = useResource(listServices, "services");

  return (
    <>
      <h1>Invocations</h1>
      <FilterForm key={key} filter={filter} services={(services.data ?? []).map((s) => s.name)} />
      <div class="toolbar">
        <label>
          <input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} /> Live refresh
        </label>
        <button type="button" onClick={list.reload}>
          Refresh now
        </button>
        <span class="muted" aria-live="polite">
          {list.loadedAt === undefined ? "Loading…" : `Updated ${list.loadedAt.toLocaleTimeString()}`}
        </span>
      </div>
      <ErrorNotice error={list.error} what="Could not list invocations" />
      <ErrorNotice error={services.error} what="Could not load services" />
      {list.data === undefined ? null : list.data.rows.length === 0 ? (
        <p class="empty">No invocations match.</p>
      ) : (
        <table class="data" id="invocations">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Target</th>
              <th scope="col">Status</th>
              <th scope="col">Retries</th>
              <th scope="col">Created</th>
              <th scope="col">Modified</th>
            </tr>
          </thead>
          <tbody>
            {list.data.rows.map((row) => (
              <tr key={row.id} data-id={row.id}>
                <td class="mono">
                  <Link to={`invocations/${encodeURIComponent(row.id)}`}>{row.id}</Link>
                </td>
                <td class="mono">{row.target}</td>
                <td>
                  <StatusBadge status={row.status} result={row.completion_result} />
                </td>
                <td>{row.retry_count ?? 0}</td>
                <td>{formatTime(row.created_at)}</td>
                <td>{formatTime(row.modified_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={page === 0} onClick={() => navigate(invocationsPath(filter, page - 1))}>
          Previous
        </button>
        <span>Page {page + 1}</span>
        <button type="button" disabled={list.data?.more !== true} onClick={() => navigate(invocationsPath(filter, page + 1))}>
          Next
        </button>
      </nav>
    </>
  );
}

/** The filters; applied on submit (Enter in any field), which puts them in the URL. */
function FilterForm(props: { filter: InvocationFilter; services: readonly string[] }) {
  const [status, setStatus] = useState(props.filter.status ?? "");
  const [service, setService] = useState(props.filter.service ?? "");
  const [id, setId] = useState(props.filter.id ?? "");
  const services = props.filter.service === undefined || props.services.includes(props.filter.service) ? props.services : [props.filter.service, ...props.services];
  const submit = (event: Event) => {
    event.preventDefault();
    const blank = (v: string) => (v.trim() === "" ? undefined : v.trim());
    navigate(invocationsPath({ status: blank(status) as InvocationFilter["status"], service: blank(service), id: blank(id) }));
  };
  return (
    <form class="filters" onSubmit={submit} aria-label="Filter invocations">
      <label>
        Status
        <select name="status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
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
        <select name="service" value={service} onChange={(e) => setService(e.currentTarget.value)}>
          <option value="">any</option>
          {services.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Invocation id
        <input name="id" value={id} placeholder="inv_…" spellcheck={false} onInput={(e) => setId(e.currentTarget.value)} />
      </label>
      <button type="submit">Apply</button>
      <button type="button" onClick={() => navigate("invocations")}>
        Clear
      </button>
    </form>
  );
}
