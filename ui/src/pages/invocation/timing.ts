import type { TimelineEntry } from "./journal-model.js";

/** When something in an invocation's life started and ended (ms since the epoch), for the timing bars. */
export interface Span {
  readonly label: string;
  /** The journal entry it belongs to; undefined for the invocation itself. */
  readonly index?: number;
  readonly kind: "invocation" | "call" | "send" | "sleep";
  /** Undefined when the start is unknown (a sleep whose append time stet does not keep): drawn as a mark at the end. */
  readonly start?: number;
  readonly end: number;
  /** Still going at `now` (the end is now, or a sleep's planned wake-up). */
  readonly open: boolean;
}

export interface ChildTimes {
  readonly id: string;
  readonly created_at?: string;
  readonly completed_at?: string;
}

const ms = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};

/**
 * The spans of an invocation: itself, each call and send (from the callee's creation to its completion),
 * each sleep (to its wake-up). Durations are only drawn where both ends are known.
 */
export function timingSpans(
  invocation: { created_at?: string; completed_at?: string },
  entries: readonly TimelineEntry[],
  children: readonly ChildTimes[],
  now: number,
): Span[] {
  const spans: Span[] = [];
  const created = ms(invocation.created_at);
  const completed = ms(invocation.completed_at);
  if (created !== undefined) spans.push({ label: "this invocation", kind: "invocation", start: created, end: completed ?? now, open: completed === undefined });
  const byId = new Map(children.map((c) => [c.id, c]));
  for (const e of entries) {
    if (e.kind !== "command") continue;
    if ((e.type === "Call" || e.type === "OneWayCall") && e.calleeId !== undefined) {
      const child = byId.get(e.calleeId);
      const start = ms(child?.created_at);
      if (start === undefined) continue;
      const end = ms(child?.completed_at);
      spans.push({ label: `${e.type === "Call" ? "call" : "send"} ${e.subject ?? e.calleeId}`, index: e.index, kind: e.type === "Call" ? "call" : "send", start, end: end ?? now, open: end === undefined });
    }
    if (e.type === "Sleep" && e.wakeUpAt !== undefined && e.wakeUpAt > 0) {
      const start = ms(e.appendedAt);
      spans.push({ label: `sleep${e.name === "" ? "" : ` ${e.name}`}`, index: e.index, kind: "sleep", ...(start === undefined ? {} : { start }), end: e.wakeUpAt, open: e.wakeUpAt > now });
    }
  }
  return spans;
}

/** A duration as people say it: `850 ms`, `1.2 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`. */
export function formatDuration(durationMs: number): string {
  const d = Math.max(0, durationMs);
  if (d < 1000) return `${Math.round(d)} ms`;
  if (d < 60_000) return `${(d / 1000).toFixed(d < 10_000 ? 1 : 0)} s`;
  const parts = [
    [Math.floor(d / 86_400_000), "d"],
    [Math.floor(d / 3_600_000) % 24, "h"],
    [Math.floor(d / 60_000) % 60, "min"],
    [Math.floor(d / 1000) % 60, "s"],
  ] as const;
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(" ");
}
