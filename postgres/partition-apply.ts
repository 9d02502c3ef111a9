import type { WriteSet } from "../partition/storage/memory/index.js";
import type { RowPartitions } from "./partition-rows.js";
import { PARTITION_TABLES, type PartitionTable } from "./partition-tables.js";

/**
 * One group commit in one round trip: `SELECT stet_apply(partitions, epochs, changes)` runs the fence
 * and every table's deletes and upserts inside one function, in its own transaction. Sent as separate
 * statements, a batch cost a round trip each (BEGIN, fence, two to eight writes, COMMIT), and on a busy
 * machine those waits, not PostgreSQL's work, were most of a commit's time.
 *
 * The rows travel as one jsonb value: per table, deleted keys and row images as JSON objects named by
 * column (bytea as `\x…` hex), read back with jsonb_populate_recordset into the table's own row type.
 * A function with an array parameter per column, as the prototype had, would need more than
 * PostgreSQL's 100 arguments for the full schema.
 */

const DELETED = (t: PartitionTable) => `d_${t.table}`;
const UPSERTED = (t: PartitionTable) => `u_${t.table}`;

/**
 * The function's definition, generated from the tables' descriptions (partition-tables.ts). It is
 * created by a migration: a later change to the tables' columns needs a migration that creates it again.
 */
export function applyFunctionSql(): string {
  const deletes = [...PARTITION_TABLES].reverse().map((t) => {
    const match = t.key.map(([c]) => `${t.table}.${c} = d.${c}`).join(" AND ");
    return `IF changes ? '${DELETED(t)}' THEN
      DELETE FROM ${t.table} USING jsonb_populate_recordset(NULL::${t.table}, changes -> '${DELETED(t)}') AS d WHERE ${match};
    END IF;`;
  });
  const upserts = PARTITION_TABLES.map((t) => {
    const names = t.columns.map(([c]) => c);
    const keys = new Set(t.key.map(([c]) => c));
    const insert = `INSERT INTO ${t.table} (${names.join(", ")}) SELECT ${names.join(", ")} FROM jsonb_populate_recordset(NULL::${t.table}, changes -> '${UPSERTED(t)}')`;
    const conflict =
      t.appendOnly === true
        ? ""
        : ` ON CONFLICT (${[...keys].join(", ")}) DO UPDATE SET ${names.filter((c) => !keys.has(c)).map((c) => `${c} = excluded.${c}`).join(", ")}`;
    return `IF changes ? '${UPSERTED(t)}' THEN
      ${insert}${conflict};
    END IF;`;
  });
  return `
    CREATE OR REPLACE FUNCTION stet_apply(partitions integer[], epochs bigint[], changes jsonb) RETURNS void LANGUAGE plpgsql AS $fn$
    BEGIN
      IF cardinality(partitions) > 0 THEN
        PERFORM stet_fence(partitions, epochs);
      END IF;
      -- Deletes first, children (journals) before invocations, so that a key freed and taken again in
      -- one batch (an invocation id inserted anew) is free when its upsert runs.
      ${deletes.join("\n      ")}
      ${upserts.join("\n      ")}
    END
    $fn$;`;
}

/** The `changes` argument of stet_apply for a write set: only the tables the batch touched. */
export function applyChanges(changes: WriteSet, partitions: RowPartitions): string {
  const out: Record<string, unknown[]> = {};
  for (const t of PARTITION_TABLES) {
    const keys = changes[t.name].deletes as unknown as Record<string, unknown[]>;
    const deleted = rowsOf(t.key, t.key.map(([, , field]) => keys[field]!));
    if (deleted.length > 0) out[DELETED(t)] = deleted;
    const upserted = rowsOf(t.columns, t.upserts(changes, partitions));
    if (upserted.length > 0) out[UPSERTED(t)] = upserted;
  }
  return JSON.stringify(out);
}

/** Column arrays as JSON row objects named by column; bytes as PostgreSQL's hex text of bytea. */
function rowsOf(columns: PartitionTable["columns"], values: readonly (readonly unknown[])[]): Array<Record<string, unknown>> {
  const count = values[0]?.length ?? 0;
  const rows: Array<Record<string, unknown>> = new Array(count);
  for (let i = 0; i < count; i++) {
    const row: Record<string, unknown> = {};
    columns.forEach(([column], c) => {
      const value = values[c]![i];
      row[column] = value instanceof Uint8Array ? `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}` : value;
    });
    rows[i] = row;
  }
  return rows;
}
