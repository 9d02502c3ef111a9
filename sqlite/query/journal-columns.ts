import type { Database } from "better-sqlite3";
import {
  COMMAND_RANGE_START,
  decodeMessage,
  decodeNotification,
  frameFromRaw,
  isCommand,
  isKnownMessageType,
  isNotification,
  MessageType,
  NOTIFICATION_RANGE_START,
  type MessageOf,
} from "../../protocol/index.js";
import type { Callee } from "../../partition/query/entry-json-parts.js";
import { COMMAND_NAMES, COMPLETION_NAMES, entryJson, type DecodedEntry } from "../../partition/query/entry-json.js";
import { entryLiteJson } from "../../partition/query/entry-lite-json.js";

/**
 * How `sys_journal`'s computed columns are made: SQL over the stored row (`j`, a `main.journal` row)
 * and the functions it calls. A function call costs about a microsecond per row whatever it does
 * (better-sqlite3 hands each its arguments, the frame copied): so the entry type is plain SQL, the
 * name is asked for commands only, and the decoding functions share the last decoded frame, so that a
 * row is decoded once however many of its columns a query reads. Measured figures: RESTATE-FACTS.md.
 */

/** Restate's names of journal entries: `Command: Run`, `Notification: Call`; `Custom: <id>` for SDK-defined ones. */
export const ENTRY_TYPE_SQL = `CASE j.type ${[
  ...[...COMMAND_NAMES].map(([type, name]) => `WHEN ${type} THEN 'Command: ${name}'`),
  ...[...COMPLETION_NAMES].map(([type, name]) => `WHEN ${type} THEN 'Notification: ${name}'`),
  `WHEN ${MessageType.SignalNotification} THEN 'Notification: Signal'`,
].join(" ")} ELSE CASE WHEN j.type < ${COMMAND_RANGE_START} THEN NULL ELSE 'Custom: ' || j.type END END`;

/** Commands carry their name (`ctx.run("step", …)`), "" when unnamed; notifications and custom entries none, as in Restate. */
export const NAME_SQL = `CASE WHEN j.type BETWEEN ${COMMAND_RANGE_START} AND ${NOTIFICATION_RANGE_START - 1} THEN stet_entry_name(j.type, j.frame) END`;

/**
 * The callee of a Call or OneWayCall row: `id`, or `id \t service_type \t handler_type \t retention_ms`
 * while the callee's row exists. The partition appends the CallInvocationId notification right after
 * the call (partition/apply/commands.ts), so it is the next entry.
 */
export const CALLEE_SQL = `CASE WHEN j.type IN (${MessageType.CallCommand}, ${MessageType.OneWayCallCommand}) THEN (
    SELECT coalesce(c.id || char(9) || c.service_type || char(9) || coalesce(c.handler_type, '') || char(9) || coalesce(c.retention_ms, ''), n.callee)
    FROM (SELECT stet_callee_id(n.frame) AS callee FROM main.journal n
          WHERE n.invocation_seq = j.invocation_seq AND n.idx = j.idx + 1 AND n.type = ${MessageType.CallInvocationIdCompletionNotification}) n
    LEFT JOIN main.invocations c ON c.id = n.callee) END`;

export function registerJournalFunctions(db: Database): void {
  let lastType = -1;
  let lastFrame: Buffer | undefined;
  let lastEntry: DecodedEntry | null = null;
  const decoded = (type: unknown, frame: unknown): DecodedEntry | null => {
    if (typeof type !== "number" || !Buffer.isBuffer(frame)) return null;
    if (type !== lastType || lastFrame === undefined || !frame.equals(lastFrame)) {
      lastEntry = decodeEntry(type, frame);
      [lastType, lastFrame] = [type, frame];
    }
    return lastEntry;
  };

  db.function("stet_entry_name", { deterministic: true }, (type: unknown, frame: unknown) => {
    const entry = decoded(type, frame);
    if (entry?.kind !== "command") return "";
    return type === MessageType.SendSignalCommand ? (entry.message as MessageOf<typeof MessageType.SendSignalCommand>).entryName : (entry.message.name ?? "");
  });
  db.function("stet_entry_json", { deterministic: true }, (type: unknown, frame: unknown, callee: unknown) => {
    const entry = decoded(type, frame);
    return entry === null ? null : (safely(() => entryJson(entry, parseCallee(callee))) ?? null);
  });
  db.function("stet_entry_lite_json", { deterministic: true }, (type: unknown, frame: unknown, callee: unknown) => {
    const entry = decoded(type, frame);
    return entry === null ? null : (safely(() => entryLiteJson(entry, parseCallee(callee))) ?? null);
  });
  // The invocation id a CallInvocationId notification carries (the callee of the call before it). Not
  // through the cache: it runs in the middle of the call row's columns and would evict that row's entry.
  db.function("stet_callee_id", { deterministic: true }, (frame: unknown) => {
    const entry = Buffer.isBuffer(frame) ? decodeEntry(MessageType.CallInvocationIdCompletionNotification, frame) : null;
    return entry?.kind === "notification" && entry.message.result.case === "invocationId" ? entry.message.result.value : null;
  });
}

const NO_CALLEE: Callee = Object.freeze({ id: null, serviceType: null, handlerType: null, retentionMs: null });

function parseCallee(value: unknown): Callee {
  if (typeof value !== "string" || value === "") return NO_CALLEE;
  const [id, serviceType, handlerType, retention] = value.split("\t");
  return {
    id: id!,
    serviceType: serviceType || null,
    handlerType: handlerType || null,
    retentionMs: retention ? Number(retention) : null,
  };
}

/** A command's message, or any notification through the shape all share; null for custom or unreadable entries. */
function decodeEntry(type: number, frame: Buffer): DecodedEntry | null {
  try {
    const { payload } = frameFromRaw(frame);
    if (isCommand(type) && isKnownMessageType(type)) return { kind: "command", type, message: decodeMessage(type, payload) as { name?: string } };
    if (isNotification(type) && isKnownMessageType(type)) return { kind: "notification", type, message: decodeNotification(payload) };
  } catch {
    // A stored frame that does not decode shows as Restate shows an entry it cannot decode: no JSON.
  }
  return null;
}

/** A state key that is not UTF-8 makes Restate's decoding fail; so it does here (no JSON). */
function safely(render: () => string | undefined): string | undefined {
  try {
    return render();
  } catch {
    return undefined;
  }
}
