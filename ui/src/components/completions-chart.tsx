import type { MinuteCounts } from "../api/chart-queries.js";
import { niceMax } from "../chart-scale.js";

const WIDTH = 720;
const HEIGHT = 160;
const LEFT = 36;
const BOTTOM = 20;
const TOP = 8;

const clock = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/**
 * Invocations completed per minute as stacked bars (succeeded below, failed above), in inline SVG with
 * the page's colours; each bar has a tooltip, and the numbers are also there as a table.
 */
export function CompletionsChart(props: { minutes: readonly MinuteCounts[] }) {
  const { minutes } = props;
  const succeeded = minutes.reduce((n, m) => n + m.succeeded, 0);
  const failed = minutes.reduce((n, m) => n + m.failed, 0);
  const top = niceMax(Math.max(0, ...minutes.map((m) => m.succeeded + m.failed)));
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT) / Math.max(1, minutes.length);
  const y = (n: number) => TOP + plotHeight - (n / top) * plotHeight;
  const summary = `Last ${minutes.length} minutes: ${succeeded} succeeded, ${failed} failed.`;
  const busy = minutes.filter((m) => m.succeeded + m.failed > 0);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`Invocations completed per minute. ${summary}`}>
        {[0, top / 2, top].map((v) => (
          <g key={v} class="chart-grid">
            <line x1={LEFT} x2={WIDTH} y1={y(v)} y2={y(v)} />
            <text x={LEFT - 6} y={y(v) + 4} text-anchor="end">
              {Number.isInteger(v) ? v : v.toFixed(1)}
            </text>
          </g>
        ))}
        {minutes.map((m, i) => {
          const x = LEFT + i * slot + slot * 0.15;
          const w = slot * 0.7;
          return (
            <g key={m.minute} class="chart-bar" data-minute={m.minute}>
              <title>{`${clock(m.minute)}: ${m.succeeded} succeeded, ${m.failed} failed`}</title>
              {/* An invisible full-height target, so the tooltip shows over empty minutes too. */}
              <rect x={LEFT + i * slot} y={TOP} width={slot} height={plotHeight} class="chart-hit" />
              {m.succeeded > 0 ? <rect x={x} y={y(m.succeeded)} width={w} height={y(0) - y(m.succeeded)} class="chart-succeeded" /> : null}
              {m.failed > 0 ? <rect x={x} y={y(m.succeeded + m.failed)} width={w} height={y(0) - y(m.failed)} class="chart-failed" /> : null}
              {i % 10 === 0 ? (
                <text x={LEFT + i * slot} y={HEIGHT - 4} class="chart-label">
                  {clock(m.minute)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <span class="legend legend-succeeded">succeeded</span> <span class="legend legend-failed">failed</span> <span class="chart-summary">{summary}</span>
      </figcaption>
      <details class="chart-table">
        <summary>As a table</summary>
        {busy.length === 0 ? (
          <p class="empty">No invocation completed in this time.</p>
        ) : (
          <table class="data">
            <thead>
              <tr>
                <th scope="col">Minute</th>
                <th scope="col">Succeeded</th>
                <th scope="col">Failed</th>
              </tr>
            </thead>
            <tbody>
              {busy.map((m) => (
                <tr key={m.minute}>
                  <td>{clock(m.minute)}</td>
                  <td>{m.succeeded}</td>
                  <td>{m.failed}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </details>
    </figure>
  );
}
