import { hexBytes, utf8Bytes } from "./bytes.js";
import { runQuery, sqlInteger, sqlString } from "./sql.js";
import { stateVersion } from "./state-version.js";

/** The SQL of the state page: objects' and workflows' K/V state (`state`) and who holds their keys. */

export interface ObjectSummary {
  readonly service_key: string;
  readonly entries: number;
  /** Bytes of all values. */
  readonly size: number;
}

export interface ObjectPage {
  readonly rows: ObjectSummary[];
  readonly more: boolean;
}

/**
 * Keys of one service that have state, in key order, after `after` (keyset paging: the next page starts
 * after the last key shown), optionally only those starting with `prefix`.
 */
export async function listObjects(service: string, options: { after?: string; prefix?: string; size: number }, signal?: AbortSignal): Promise<ObjectPage> {
  const where = [`service_name = ${sqlString(service)}`];
  if (options.after !== undefined) where.push(`service_key > ${sqlString(options.after)}`);
  if (options.prefix !== undefined && options.prefix !== "") where.push(`starts_with(service_key, ${sqlString(options.prefix)})`);
  const rows = await runQuery<ObjectSummary>(
    `SELECT service_key, COUNT(*) AS entries, SUM(value_length) AS size FROM state WHERE ${where.join(" AND ")}
     GROUP BY service_key ORDER BY service_key LIMIT ${sqlInteger(options.size + 1)}`,
    signal,
  );
  return { rows: rows.slice(0, options.size), more: rows.length > options.size };
}

/** Services that have state stored, registered or not (an object's state outlives its service). */
export async function servicesWithState(signal?: AbortSignal): Promise<{ service: string; objects: number }[]> {
  return runQuery<{ service: string; objects: number }>(
    `SELECT service_name AS service, COUNT(DISTINCT service_key) AS objects FROM state GROUP BY service_name ORDER BY service_name`,
    signal,
  );
}

export interface StateEntry {
  readonly key: string;
  readonly value: Uint8Array;
}

export interface ObjectState {
  readonly entries: StateEntry[];
  /** The version `POST /services/{s}/state` checks: the state as read here. */
  readonly version: string;
  /** The invocation holding the key's lock, if any (edits wait for it and for the key's inbox). */
  readonly lockedBy: string | undefined;
  /** Invocations waiting in the key's inbox. */
  readonly queued: number;
}

/** One object's (or workflow's) whole state, its version, and whether its key is locked. */
export async function getObjectState(service: string, key: string, signal?: AbortSignal): Promise<ObjectState> {
  const match = `service_name = ${sqlString(service)} AND service_key = ${sqlString(key)}`;
  const [rows, lock, inbox] = await Promise.all([
    runQuery<{ key: string; value?: string }>(`SELECT key, value FROM state WHERE ${match} ORDER BY key`, signal),
    runQuery<{ invocation_id?: string }>(`SELECT invocation_id FROM sys_keyed_service_status WHERE ${match} LIMIT 1`, signal),
    runQuery<{ n: number }>(`SELECT COUNT(*) AS n FROM sys_inbox WHERE ${match}`, signal),
  ]);
  const entries = rows.map((r) => ({ key: r.key, value: hexBytes(r.value ?? "") ?? new Uint8Array() }));
  return {
    entries,
    version: stateVersion(entries.map((e) => [utf8Bytes(e.key), e.value] as const)),
    lockedBy: lock[0]?.invocation_id,
    queued: inbox[0]?.n ?? 0,
  };
}
