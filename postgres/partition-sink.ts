import type { WriteSet } from "../partition/storage/memory/index.js";
import type { PostgresDatabase } from "./connect.js";
import { fence } from "./lease-store.js";
import type { RowPartitions } from "./partition-rows.js";
import { deleteSql, PARTITION_TABLES, upsertSql } from "./partition-tables.js";

/** Statement texts, built once: a named statement is parsed and planned once per connection. */
const STATEMENTS = PARTITION_TABLES.map((t) => ({ t, upsert: upsertSql(t), delete: deleteSql(t) }));

/**
 * Makes a mirror's write set durable (MemoryStoreOptions.persist) in ONE transaction: first the fence
 * of every leadership the batch ran under (LeaseLostError when one was lost: nothing is written), then
 * per table one `DELETE … USING unnest(…)` of the deleted keys and one `INSERT … SELECT FROM unnest(…)
 * … ON CONFLICT DO UPDATE` of the final row images. Journals are deleted before invocations and
 * written after them. Tables the batch did not touch cost no statement: a W1 batch touches two to four.
 *
 * Next step (docs/architecture.md, "How it was measured"): the statements of one transaction in one
 * function call, one round trip instead of one per statement, as the a1 prototype measured.
 */
export function partitionSink(db: PostgresDatabase, partitions: RowPartitions): (changes: WriteSet) => Promise<void> {
  return (changes) => {
    const leases = changes.fences.partition.map((partition, i) => ({ partition, epoch: changes.fences.leaderEpoch[i]! }));
    return db.transaction(async (client) => {
      if (leases.length > 0) await fence(client, leases);
      // Deletes first, children (journals) before invocations, so that a key freed and taken again in
      // one batch (an invocation id inserted anew) is free when its upsert runs.
      for (const s of [...STATEMENTS].reverse()) {
        const keys = changes[s.t.name].deletes as unknown as Record<string, unknown[]>;
        const values = s.t.key.map(([, , field]) => keys[field]!);
        if ((values[0]?.length ?? 0) > 0) await client.query({ name: `stet_delete_${s.t.table}`, text: s.delete, values });
      }
      for (const s of STATEMENTS) {
        const values = s.t.upserts(changes, partitions);
        if ((values[0]?.length ?? 0) > 0) await client.query({ name: `stet_upsert_${s.t.table}`, text: s.upsert, values });
      }
    });
  };
}
