import { COMMAND_RANGE_START, MessageType, NOTIFICATION_RANGE_START } from "../protocol/index.js";
import { COMMAND_NAMES, COMPLETION_NAMES } from "../partition/query/entry-json.js";
import type { ViewDialect } from "./view-dialect.js";

/**
 * `sys_journal`'s columns over a stored journal row (`j`: invocation_seq, idx, type, frame). The entry
 * type is plain SQL; the name and the JSON need the frame decoded, which each backend does its way
 * (ViewDialect). Measured on SQLite: a function call costs about a microsecond per row whatever it
 * does, so the name is asked for commands only (RESTATE-FACTS.md).
 */

/** Restate's names of journal entries: `Command: Run`, `Notification: Call`; `Custom: <id>` for SDK-defined ones. */
export const ENTRY_TYPE_SQL = `CASE j.type ${[
  ...[...COMMAND_NAMES].map(([type, name]) => `WHEN ${type} THEN 'Command: ${name}'`),
  ...[...COMPLETION_NAMES].map(([type, name]) => `WHEN ${type} THEN 'Notification: ${name}'`),
  `WHEN ${MessageType.SignalNotification} THEN 'Notification: Signal'`,
].join(" ")} ELSE CASE WHEN j.type < ${COMMAND_RANGE_START} THEN NULL ELSE 'Custom: ' || j.type END END`;

/** Commands carry their name (`ctx.run("step", …)`), "" when unnamed; notifications and custom entries none, as in Restate. */
export function entryNameSql(d: ViewDialect): string {
  return `CASE WHEN j.type BETWEEN ${COMMAND_RANGE_START} AND ${NOTIFICATION_RANGE_START - 1} THEN ${d.entryName("j.type", "j.frame")} END`;
}

/**
 * The callee of a Call or OneWayCall row: `id`, or `id \t service_type \t handler_type \t retention_ms`
 * while the callee's row exists (partition/query/journal-entry.ts reads it). The partition appends the
 * CallInvocationId notification right after the call (partition/apply/commands.ts), so it is the next entry.
 */
export function calleeSql(d: ViewDialect): string {
  const t = d.tab;
  return `CASE WHEN j.type IN (${MessageType.CallCommand}, ${MessageType.OneWayCallCommand}) THEN (
    SELECT coalesce(c.id || ${t} || c.service_type || ${t} || coalesce(c.handler_type, '') || ${t} || coalesce(CAST(c.retention_ms AS TEXT), ''), n.callee)
    FROM (SELECT ${d.calleeId("n.frame")} AS callee FROM ${d.table("journal")} n
          WHERE n.invocation_seq = j.invocation_seq AND n.idx = j.idx + 1 AND n.type = ${MessageType.CallInvocationIdCompletionNotification}) n
    LEFT JOIN ${d.table("invocations")} c ON c.id = n.callee) END`;
}
