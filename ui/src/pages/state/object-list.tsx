import { useState } from "preact/hooks";
import { listObjects } from "../../api/state-queries.js";
import { ErrorNotice } from "../../components/error-notice.js";
import { Link, navigate } from "../../router.js";
import { useResource } from "../../use-resource.js";
import { objectListPath, statePath } from "./state-path.js";

const PAGE_SIZE = 50;

/** One service's keys that have state, in key order, a page at a time; and a way to open any key. */
export function ObjectList(props: { service: string; query: URLSearchParams }) {
  const { service } = props;
  const prefix = props.query.get("prefix") ?? "";
  const after = props.query.get("after") ?? undefined;
  const page = useResource((signal) => listObjects(service, { prefix, ...(after === undefined ? {} : { after }), size: PAGE_SIZE }, signal), `${service}|${prefix}|${after ?? ""}`);
  const [typed, setTyped] = useState(prefix);
  const rows = page.data?.rows ?? [];
  return (
    <>
      <p>
        <Link to={statePath()}>← State</Link>
      </p>
      <h1>State of {service}</h1>
      <form
        class="filters"
        aria-label="Find keys"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(objectListPath(service, { prefix: typed.trim() }));
        }}
      >
        <label>
          Key or key prefix
          <input name="key" value={typed} spellcheck={false} onInput={(e) => setTyped(e.currentTarget.value)} />
        </label>
        <button type="submit">Find</button>
        <button type="button" disabled={typed.trim() === ""} onClick={() => navigate(statePath(service, typed.trim()))}>
          Open this key
        </button>
      </form>
      <ErrorNotice error={page.error} what="Could not list the keys" />
      {page.data !== undefined && rows.length === 0 ? (
        <p class="empty">{prefix === "" ? "No key of this service has state." : "No key with state starts with this."} "Open this key" adds state to a new key.</p>
      ) : null}
      {rows.length === 0 ? null : (
        <table class="data" id="objects">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Entries</th>
              <th scope="col">Size</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.service_key} data-key={row.service_key}>
                <th scope="row" class="mono">
                  <Link to={statePath(service, row.service_key)}>{row.service_key}</Link>
                </th>
                <td>{row.entries}</td>
                <td>{row.size} bytes</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={after === undefined} onClick={() => navigate(objectListPath(service, { prefix }))}>
          First page
        </button>
        <button type="button" disabled={page.data?.more !== true} onClick={() => navigate(objectListPath(service, { prefix, after: rows.at(-1)?.service_key }))}>
          Next page
        </button>
      </nav>
    </>
  );
}
