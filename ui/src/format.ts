/** A timestamp of the query answers (RFC 3339, UTC) in the person's own time zone and locale. */
export function formatTime(iso: string | undefined): string {
  if (iso === undefined) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
