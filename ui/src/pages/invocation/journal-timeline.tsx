import type { ComponentChildren } from "preact";
import { formatTime } from "../../format.js";
import { Link } from "../../router.js";
import type { TimelineEntry } from "./journal-model.js";
import { OutcomeView } from "./outcome-view.js";
import { formatDuration } from "./timing.js";

/**
 * The journal, entry by entry: each command with its name, what it is about and its result (from the
 * notification that completed it); notifications drawn smaller under the commands they complete. The
 * entry the last failure happened at is marked; each entry a restart may start from has its button.
 */
export function JournalTimeline(props: {
  entries: readonly TimelineEntry[];
  failedAt: number | undefined;
  now: number;
  restartPoints: ReadonlySet<number> | undefined;
  onRestart: (from: number) => void;
}) {
  if (props.entries.length === 0) return <p class="empty">The journal is empty.</p>;
  return (
    <ol class="journal" id="journal">
      {props.entries.map((e) => (
        <li key={e.index} class={`entry-${e.kind}${e.index === props.failedAt ? " failed" : ""}`} data-index={e.index}>
          <span class="index">{e.index}</span>
          <span class="entry-type">
            <span class="sr-only">{e.kind === "notification" ? "notification " : ""}</span>
            {e.type}
          </span>
          <span class="entry-name">{e.name}</span>
          <span class="entry-detail">{detail(e, props.now)}</span>
          <span class="entry-outcome">
            <OutcomeView outcome={e.outcome} />
          </span>
          <span class="entry-actions">
            {/* Commands only: a cut after a command copies its later completions too. Entry 0 is "Restart as new". */}
            {e.kind === "command" && e.index > 0 && props.restartPoints?.has(e.index) === true ? (
              <button type="button" class="link" aria-label={`Restart from entry ${e.index}`} onClick={() => props.onRestart(e.index)}>
                restart from here
              </button>
            ) : null}
            {e.appendedAt === undefined ? null : <span class="muted">{formatTime(e.appendedAt)}</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}

function detail(e: TimelineEntry, now: number): ComponentChildren {
  if (e.kind === "notification" && e.type !== "CallInvocationId") return e.completes === undefined ? e.subject : `completes entry ${e.completes}`;
  const callee = e.calleeId === undefined ? null : <Link to={`invocations/${encodeURIComponent(e.calleeId)}`}>{e.subject ?? e.calleeId}</Link>;
  switch (e.type) {
    case "Input":
      return e.value === "" ? <span class="muted">no input</span> : <code>{e.value}</code>;
    case "Call":
    case "OneWayCall":
      return (
        <>
          → {callee ?? e.subject}
          {e.value === undefined || e.value === "" ? null : <code> ({e.value})</code>}
          {e.type === "OneWayCall" && e.wakeUpAt !== undefined && e.wakeUpAt > 0 ? ` at ${formatTime(new Date(e.wakeUpAt).toISOString())}` : null}
        </>
      );
    case "CallInvocationId":
      return <>started {e.calleeId === undefined ? null : <Link to={`invocations/${encodeURIComponent(e.calleeId)}`}>{e.calleeId}</Link>}</>;
    case "Sleep":
      if (e.wakeUpAt === undefined) return null;
      return `until ${formatTime(new Date(e.wakeUpAt).toISOString())}${e.wakeUpAt > now ? ` (in ${formatDuration(e.wakeUpAt - now)})` : ""}`;
    case "SetState":
      return (
        <>
          <span class="mono">{e.subject}</span> = <code>{e.value}</code>
        </>
      );
    default:
      if (e.subject !== undefined) return <span class="mono">{e.subject}</span>;
      return e.value === undefined ? null : <code>{e.value}</code>;
  }
}
