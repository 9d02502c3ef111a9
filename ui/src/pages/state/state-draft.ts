import type { StateEntry } from "../../api/state-queries.js";
import { detectFormat, parseValue, valueText, type ValueFormat } from "../../value-format.js";

/** One row of the state editor: a key and its value as the person types it. */
export interface DraftEntry {
  /** Stable across edits of the key, for rendering. */
  readonly id: number;
  readonly key: string;
  readonly format: ValueFormat;
  readonly text: string;
}

let nextId = 1;

export function newDraftEntry(key = "", format: ValueFormat = "json", text = ""): DraftEntry {
  return { id: nextId++, key, format, text };
}

/** The editor's rows for a state as stored. */
export function draftFrom(entries: readonly StateEntry[]): DraftEntry[] {
  return entries.map((e) => {
    const format = detectFormat(e.value);
    return newDraftEntry(e.key, format, valueText(e.value, format));
  });
}

/** Converts the row's text when the person picks another format (JSON ↔ text keep the characters; hex shows the bytes). */
export function changeFormat(entry: DraftEntry, format: ValueFormat): DraftEntry {
  if (format === entry.format) return entry;
  const current = parseValue(entry.format, entry.text);
  // Text that does not read in its old format is kept as typed, to be fixed in the new one.
  const text = "bytes" in current && (format === "hex" || entry.format === "hex") ? valueText(current.bytes, format) : entry.text;
  return { ...entry, format, text };
}

/** The whole new state, or every problem found (each naming its key). */
export function draftToState(draft: readonly DraftEntry[]): { entries: Array<[string, Uint8Array]> } | { errors: string[] } {
  const errors: string[] = [];
  const entries: Array<[string, Uint8Array]> = [];
  const seen = new Set<string>();
  draft.forEach((row, i) => {
    const name = row.key === "" ? `row ${i + 1}` : `"${row.key}"`;
    if (row.key === "") errors.push(`${name}: a key needs a name`);
    else if (seen.has(row.key)) errors.push(`${name}: the key appears twice`);
    seen.add(row.key);
    const value = parseValue(row.format, row.text);
    if ("error" in value) errors.push(`${name}: ${value.error}`);
    else entries.push([row.key, value.bytes]);
  });
  return errors.length > 0 ? { errors } : { entries };
}
