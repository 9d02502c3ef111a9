import { formatTime } from "../../format.js";
import { formatDuration, type Span } from "./timing.js";

/**
 * The invocation's spans on one time axis: itself, its calls and sends (the callees' lives), its sleeps.
 * A span whose start is unknown is a mark at its end. Plain HTML boxes placed in percent of the axis.
 */
export function TimingBars(props: { spans: readonly Span[] }) {
  const { spans } = props;
  if (spans.length <= 1) return null;
  const from = Math.min(...spans.map((s) => s.start ?? s.end));
  const to = Math.max(...spans.map((s) => s.end));
  const width = Math.max(1, to - from);
  const at = (t: number) => `${(((t - from) / width) * 100).toFixed(2)}%`;
  return (
    <div class="timing" role="list" aria-label="Timing">
      <div class="timing-axis muted" aria-hidden="true">
        <span>{formatTime(new Date(from).toISOString())}</span>
        <span>+{formatDuration(width / 2)}</span>
        <span>+{formatDuration(width)}</span>
      </div>
      {spans.map((s, i) => {
        const text = s.start === undefined ? `wakes ${new Date(s.end).toLocaleTimeString()}` : `${formatDuration(s.end - s.start)}${s.open ? " so far" : ""}`;
        return (
          <div key={i} class={`timing-row timing-${s.kind}`} role="listitem" data-span={s.kind}>
            <span class="timing-label">
              {s.index === undefined ? "" : `#${s.index} `}
              {s.label}
            </span>
            <span class="timing-track">
              {s.start === undefined ? (
                <span class="timing-mark" style={{ left: at(s.end) }} />
              ) : (
                <span class={`timing-bar${s.open ? " open" : ""}`} style={{ left: at(s.start), width: `max(2px, ${(((s.end - s.start) / width) * 100).toFixed(2)}%)` }} />
              )}
            </span>
            <span class="timing-duration">{text}</span>
          </div>
        );
      })}
    </div>
  );
}
