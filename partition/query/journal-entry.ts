import { decodeMessage, decodeNotification, frameFromRaw, isCommand, isKnownMessageType, isNotification, MessageType, type MessageOf } from "../../protocol/index.js";
import type { Callee } from "./entry-json-parts.js";
import { entryJson, type DecodedEntry } from "./entry-json.js";
import { entryLiteJson } from "./entry-lite-json.js";

/**
 * `sys_journal`'s columns that only a decoded frame gives (a journal row is its type and its frame as
 * the service sent it), for every store's query side: SQLite calls these as SQL functions, PostgreSQL's
 * reader after the rows are read.
 */

/** A command's message, or any notification through the shape all share; null for custom or unreadable entries. */
export function decodeJournalEntry(type: number, frame: Uint8Array): DecodedEntry | null {
  try {
    const { payload } = frameFromRaw(frame);
    if (isCommand(type) && isKnownMessageType(type)) return { kind: "command", type, message: decodeMessage(type, payload) as { name?: string } };
    if (isNotification(type) && isKnownMessageType(type)) return { kind: "notification", type, message: decodeNotification(payload) };
  } catch {
    // A stored frame that does not decode shows as Restate shows an entry it cannot decode: no JSON.
  }
  return null;
}

/** A command's name (`ctx.run("step", …)`), "" when it has none or is not a command. */
export function entryName(entry: DecodedEntry | null): string {
  if (entry?.kind !== "command") return "";
  return entry.type === MessageType.SendSignalCommand ? (entry.message as MessageOf<typeof MessageType.SendSignalCommand>).entryName : (entry.message.name ?? "");
}

/** `entry_json` (or `entry_lite_json` when `lite`), or null where Restate shows none. */
export function entryJsonOf(entry: DecodedEntry | null, callee: Callee, lite: boolean): string | null {
  if (entry === null) return null;
  try {
    return (lite ? entryLiteJson(entry, callee) : entryJson(entry, callee)) ?? null;
  } catch {
    // A state key that is not UTF-8 makes Restate's decoding fail; so it does here (no JSON).
    return null;
  }
}

/** The invocation id a CallInvocationId notification's frame carries (the callee of the call before it). */
export function calleeIdOf(frame: Uint8Array): string | null {
  const entry = decodeJournalEntry(MessageType.CallInvocationIdCompletionNotification, frame);
  return entry?.kind === "notification" && entry.message.result.case === "invocationId" ? entry.message.result.value : null;
}

const NO_CALLEE: Callee = Object.freeze({ id: null, serviceType: null, handlerType: null, retentionMs: null });

/**
 * The callee as the system views give it to the decoding (query-sql/journal-entry-sql.ts): `id`, or
 * `id \t service_type \t handler_type \t retention_ms` while the callee's row exists; NULL or "" for none.
 */
export function parseCallee(value: unknown): Callee {
  if (typeof value !== "string" || value === "") return NO_CALLEE;
  const [id, serviceType, handlerType, retention] = value.split("\t");
  return {
    id: id!,
    serviceType: serviceType || null,
    handlerType: handlerType || null,
    retentionMs: retention ? Number(retention) : null,
  };
}
