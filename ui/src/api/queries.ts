import { runQuery, sqlString } from "./sql.js";

/**
 * Every SQL statement the UI sends, over Restate 1.7's system tables (the same `POST /query` the official
 * CLI uses). Pages call these functions; none of them builds SQL.
 */

/** `sys_invocation.status`, as the view computes it. */
export const INVOCATION_STATUSES = ["pending", "scheduled", "ready", "running", "backing-off", "suspended", "paused", "completed"] as const;
export type InvocationStatus = (typeof INVOCATION_STATUSES)[number];

export interface StatusCount {
  readonly service: string;
  readonly status: InvocationStatus;
  readonly count: number;
}

export function invocationCountsByService(signal?: AbortSignal): Promise<StatusCount[]> {
  return runQuery<StatusCount>(
    `SELECT target_service_name AS service, status, COUNT(*) AS count FROM sys_invocation
     GROUP BY target_service_name, status ORDER BY target_service_name, status`,
    signal,
  );
}

export interface InvocationSummary {
  readonly id: string;
  readonly target: string;
  readonly status: InvocationStatus;
  readonly completion_result?: "success" | "failure";
  readonly created_at?: string;
  readonly modified_at?: string;
  readonly retry_count?: number;
}

export interface InvocationDetail extends InvocationSummary {
  readonly target_service_name: string;
  readonly target_service_key?: string;
  readonly target_handler_name: string;
  readonly target_service_ty: "service" | "virtual_object" | "workflow";
  readonly completion_failure?: string;
  readonly invoked_by?: string;
  readonly invoked_by_id?: string;
  readonly invoked_by_target?: string;
  readonly restarted_from?: string;
  readonly idempotency_key?: string;
  readonly pinned_deployment_id?: string;
  readonly last_attempt_deployment_id?: string;
  readonly last_attempt_server?: string;
  readonly last_start_at?: string;
  readonly scheduled_start_at?: string;
  readonly completed_at?: string;
  readonly next_retry_at?: string;
  readonly last_failure?: string;
  readonly last_failure_error_code?: string;
  readonly last_failure_related_entry_index?: number;
  readonly last_failure_related_entry_name?: string;
  readonly last_failure_related_entry_type?: string;
  readonly last_failure_related_command_index?: number;
  readonly last_failure_related_command_name?: string;
  readonly last_failure_related_command_type?: string;
  readonly journal_size?: number;
}

/** One invocation, or undefined when no such id is stored (never was, or purged). */
export async function getInvocation(id: string, signal?: AbortSignal): Promise<InvocationDetail | undefined> {
  const rows = await runQuery<InvocationDetail>(
    `SELECT id, target, target_service_name, target_service_key, target_handler_name, target_service_ty, status,
       completion_result, completion_failure, invoked_by, invoked_by_id, invoked_by_target, restarted_from, idempotency_key,
       pinned_deployment_id, last_attempt_deployment_id, last_attempt_server, last_start_at, scheduled_start_at,
       created_at, modified_at, completed_at, retry_count, next_retry_at, last_failure,
       last_failure_error_code, last_failure_related_entry_index, last_failure_related_entry_name,
       last_failure_related_entry_type, last_failure_related_command_index, last_failure_related_command_name,
       last_failure_related_command_type, journal_size
     FROM sys_invocation WHERE id = ${sqlString(id)}`,
    signal,
  );
  return rows[0];
}

export interface JournalRow {
  readonly index: number;
  readonly entry_type: string;
  readonly name?: string;
  readonly appended_at?: string;
  readonly entry_json?: string;
}

/** The journal, entry by entry; `entry_json` is read by pages/invocation/journal-model.ts. */
export function getJournal(id: string, signal?: AbortSignal): Promise<JournalRow[]> {
  return runQuery<JournalRow>(`SELECT index, entry_type, name, appended_at, entry_json FROM sys_journal WHERE id = ${sqlString(id)} ORDER BY index`, signal);
}

export interface ChildInvocation {
  readonly id: string;
  readonly target: string;
  readonly status: InvocationStatus;
  readonly completion_result?: "success" | "failure";
  readonly created_at?: string;
  readonly completed_at?: string;
}

/**
 * The invocations this one started, oldest first: those that name it as their caller, and the callees its
 * journal names (stet records the caller of calls only, not of one-way sends).
 */
export function getChildren(id: string, calleeIds: readonly string[], signal?: AbortSignal): Promise<ChildInvocation[]> {
  const named = calleeIds.length === 0 ? "" : ` OR id IN (${calleeIds.slice(0, 500).map(sqlString).join(", ")})`;
  return runQuery<ChildInvocation>(
    `SELECT id, target, status, completion_result, created_at, completed_at FROM sys_invocation
     WHERE invoked_by_id = ${sqlString(id)}${named} ORDER BY created_at, id LIMIT 500`,
    signal,
  );
}

export interface TableColumns {
  readonly table: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

/** The tables `POST /query` serves and their columns, from information_schema. */
export async function listTables(signal?: AbortSignal): Promise<TableColumns[]> {
  const rows = await runQuery<{ table_name: string; column_name: string; data_type?: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY table_name, ordinal_position`,
    signal,
  );
  const tables = new Map<string, { name: string; type: string }[]>();
  for (const row of rows) {
    const columns = tables.get(row.table_name) ?? [];
    columns.push({ name: row.column_name, type: row.data_type ?? "" });
    tables.set(row.table_name, columns);
  }
  return [...tables].map(([table, columns]) => ({ table, columns }));
}

/** A first statement for a table picked in the SQL console. */
export function sampleQuery(table: string): string {
  return `SELECT * FROM ${table} LIMIT 100`;
}
