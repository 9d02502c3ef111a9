import type { Database } from "better-sqlite3";
import type { DecodedEntry } from "../../partition/query/entry-json.js";
import { calleeIdOf, decodeJournalEntry, entryJsonOf, entryName, parseCallee } from "../../partition/query/journal-entry.js";

/**
 * The functions SQLite's `sys_journal` calls for the columns that need a frame decoded
 * (query-sql/journal-entry-sql.ts). A function call costs about a microsecond per row whatever it does
 * (better-sqlite3 hands each its arguments, the frame copied): so the decoding functions share the last
 * decoded frame, and a row is decoded once however many of its columns a query reads. Measured
 * figures: RESTATE-FACTS.md.
 */
export function registerJournalFunctions(db: Database): void {
  let lastType = -1;
  let lastFrame: Buffer | undefined;
  let lastEntry: DecodedEntry | null = null;
  const decoded = (type: unknown, frame: unknown): DecodedEntry | null => {
    if (typeof type !== "number" || !Buffer.isBuffer(frame)) return null;
    if (type !== lastType || lastFrame === undefined || !frame.equals(lastFrame)) {
      lastEntry = decodeJournalEntry(type, frame);
      [lastType, lastFrame] = [type, frame];
    }
    return lastEntry;
  };

  db.function("stet_entry_name", { deterministic: true }, (type: unknown, frame: unknown) => entryName(decoded(type, frame)));
  db.function("stet_entry_json", { deterministic: true }, (type: unknown, frame: unknown, callee: unknown) => entryJsonOf(decoded(type, frame), parseCallee(callee), false));
  db.function("stet_entry_lite_json", { deterministic: true }, (type: unknown, frame: unknown, callee: unknown) =>
    entryJsonOf(decoded(type, frame), parseCallee(callee), true),
  );
  // Not through the cache: it runs in the middle of the call row's columns and would evict that row's entry.
  db.function("stet_callee_id", { deterministic: true }, (frame: unknown) => (Buffer.isBuffer(frame) ? calleeIdOf(frame) : null));
}
