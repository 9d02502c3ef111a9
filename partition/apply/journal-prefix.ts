import { completionIdOfNotification, completionIdsOf, frameFromRaw, isCommand, isNotification } from "../../protocol/index.js";
import type { JournalFrame } from "../../invoker/index.js";

/** Why a journal prefix cannot start a new invocation (Restate 1.7 answers both with 400). */
export type PrefixRefusal = "copy-range-invalid" | "index-out-of-range";

/** Restate's entry indexes are u32. */
const MAX_ENTRY_INDEX = 0xffff_ffff;

/**
 * The journal a restart-as-new from `upTo` begins with, as Restate 1.7 builds it: entries 0 to `upTo`
 * (included; commands and notifications alike are entries), then the completions of commands in that
 * prefix that arrived after it, in journal order. Signals after the prefix are not copied (an awakeable
 * resolved later stays unresolved). Refused when a command in the prefix has a completion that never
 * arrived (a sleep cut short by a kill, a call still running), or when `upTo` is past the end.
 */
export function journalPrefix(journal: readonly JournalFrame[], upTo: number): JournalFrame[] | PrefixRefusal {
  // Restate checks the prefix with a loop to `upTo + 1` in u32: at u32::MAX it wraps, checks nothing,
  // and then finds the index out of range (seen with restate-server 1.7.12).
  if (upTo >= MAX_ENTRY_INDEX) return "index-out-of-range";
  // Its check finds no entry at the journal's length: a range past the end is an invalid copy range.
  if (upTo >= journal.length) return "copy-range-invalid";
  const prefix = journal.slice(0, upTo + 1);
  const awaited = new Set<number>();
  for (const entry of prefix) {
    const { payload } = frameFromRaw(entry.frame);
    if (isCommand(entry.type)) for (const id of completionIdsOf(entry.type, payload)) awaited.add(id);
    else if (isNotification(entry.type)) {
      const id = completionIdOfNotification(payload);
      if (id !== undefined) awaited.delete(id);
    }
  }
  const completions: JournalFrame[] = [];
  for (const entry of journal.slice(upTo + 1)) {
    if (awaited.size === 0) break;
    if (!isNotification(entry.type)) continue;
    const id = completionIdOfNotification(frameFromRaw(entry.frame).payload);
    if (id !== undefined && awaited.delete(id)) completions.push(entry);
  }
  if (awaited.size > 0) return "copy-range-invalid";
  return [...prefix, ...completions];
}
