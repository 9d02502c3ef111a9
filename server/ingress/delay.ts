import { parseDuration } from "../config.js";

// ISO 8601 durations as Restate accepts them for `?delay=` (e.g. PT0.1S, P1DT2H, PT1M30S).
const ISO_DURATION = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;
const ISO_UNITS_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000];

/** A `?delay=` value in ms: an ISO 8601 duration or a short form (500ms, 10s, 2m); undefined if neither. */
export function parseDelay(text: string): number | undefined {
  const iso = ISO_DURATION.exec(text.trim());
  if (iso !== null && text.trim().length > 1 && !/T$/i.test(text.trim())) {
    let ms = 0;
    iso.slice(1).forEach((part, i) => {
      if (part !== undefined) ms += Number(part) * ISO_UNITS_MS[i]!;
    });
    return Math.round(ms);
  }
  return parseDuration(text);
}
