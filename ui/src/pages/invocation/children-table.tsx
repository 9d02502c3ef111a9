import type { ChildInvocation } from "../../api/queries.js";
import { StatusBadge } from "../../components/status-badge.js";
import { formatTime } from "../../format.js";
import { Link } from "../../router.js";
import { formatDuration } from "./timing.js";

/** The invocations this one called or sent to, with where they stand. */
export function ChildrenTable(props: { children: readonly ChildInvocation[] }) {
  if (props.children.length === 0) return <p class="empty">This invocation called no other.</p>;
  return (
    <table class="data" id="children">
      <thead>
        <tr>
          <th scope="col">Invocation</th>
          <th scope="col">Target</th>
          <th scope="col">Status</th>
          <th scope="col">Created</th>
          <th scope="col">Took</th>
        </tr>
      </thead>
      <tbody>
        {props.children.map((c) => (
          <tr key={c.id} data-id={c.id}>
            <td class="mono">
              <Link to={`invocations/${encodeURIComponent(c.id)}`}>{c.id}</Link>
            </td>
            <td class="mono">{c.target}</td>
            <td>
              <StatusBadge status={c.status} result={c.completion_result} />
            </td>
            <td>{formatTime(c.created_at)}</td>
            <td>{c.created_at !== undefined && c.completed_at !== undefined ? formatDuration(Date.parse(c.completed_at) - Date.parse(c.created_at)) : ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
