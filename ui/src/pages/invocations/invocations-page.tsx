import { useState } from "preact/hooks";
import { listServices } from "../../api/admin-api.js";
import { cursorOf, listInvocations, SORTS, type SortKey } from "../../api/invocation-list.js";
import { ErrorNotice } from "../../components/error-notice.js";
import { StatusBadge } from "../../components/status-badge.js";
import { formatTime } from "../../format.js";
import { Link, navigate, type Location } from "../../router.js";
import { useResource } from "../../use-resource.js";
import { FilterForm } from "./filter-form.js";
import { DEFAULT_PAGE_SIZE, invocationsPath, listFromQuery, type ListView } from "./invocations-path.js";

const PAGE_SIZES = [10, 20, 50, 100];
const REFRESH_MS = 2000;

/** Invocations, filtered and sorted, a page at a time (keyset paging), refreshed live. */
export function InvocationsPage(props: { location: Location }) {
  const { filter, view } = listFromQuery(props.location.query);
  const [live, setLive] = useState(true);
  const key = invocationsPath(filter, view);
  const size = view.size ?? DEFAULT_PAGE_SIZE;
  const list = useResource((signal) => listInvocations(filter, { ...view, size }, signal), key, live ? REFRESH_MS : undefined);
  // Another sort or page size starts from the first page; paging keeps both.
  const go = (change: Partial<ListView>) => navigate(invocationsPath(filter, { sort: view.sort, size, ...change }));
  const services = useResource(listServices, "services");
  const rows = list.data?.rows ?? [];
  const first = rows[0];
  const last = rows.at(-1);

  return (
    <>
      <h1>Invocations</h1>
      <FilterForm key={invocationsPath(filter)} filter={filter} view={{ sort: view.sort, size }} services={services.data ?? []} />
      <div class="toolbar">
        <label class="check">
          Sort
          <select
            name="sort"
            value={view.sort}
            onChange={(e) => go({ sort: e.currentTarget.value as SortKey })}
          >
            {Object.entries(SORTS).map(([k, s]) => (
              <option key={k} value={k}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          Rows a page
          <select name="size" value={String(size)} onChange={(e) => go({ size: Number(e.currentTarget.value) })}>
            {[...new Set([...PAGE_SIZES, size])].sort((a, b) => a - b).map((n) => (
              <option key={n} value={String(n)}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
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
      {list.data === undefined ? null : rows.length === 0 ? (
        <p class="empty">No invocations match.</p>
      ) : (
        <table class="data" id="invocations">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Target</th>
              <th scope="col">Status</th>
              <th scope="col">Retries</th>
              <th scope="col" aria-sort={sortState(view.sort, "created_at")}>
                Created
              </th>
              <th scope="col" aria-sort={sortState(view.sort, "modified_at")}>
                Modified
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
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
        <button type="button" disabled={view.after === undefined && view.before === undefined} onClick={() => go({})}>
          First page
        </button>
        <button type="button" disabled={list.data?.hasPrevious !== true || first === undefined} onClick={() => first !== undefined && go({ before: cursorOf(first, view.sort) })}>
          Previous
        </button>
        <button type="button" disabled={list.data?.hasNext !== true || last === undefined} onClick={() => last !== undefined && go({ after: cursorOf(last, view.sort) })}>
          Next
        </button>
      </nav>
    </>
  );
}

function sortState(sort: SortKey, column: string): "ascending" | "descending" | undefined {
  const s = SORTS[sort];
  if (s.column !== column) return undefined;
  return s.descending ? "descending" : "ascending";
}
