import type { WriteSet } from "../partition/storage/memory/index.js";
import type { PostgresDatabase } from "./connect.js";
import { fenceError } from "./lease-store.js";
import { applyChanges } from "./partition-apply.js";
import type { RowPartitions } from "./partition-rows.js";

/**
 * Makes a mirror's write set durable (MemoryStoreOptions.persist) in ONE transaction and one round
 * trip (partition-apply.ts): first the fence of every leadership the batch ran under (LeaseLostError
 * when one was lost: nothing is written), then per table the deleted keys and the final row images.
 */
export function partitionSink(db: PostgresDatabase, partitions: RowPartitions): (changes: WriteSet) => Promise<void> {
  return async (changes) => {
    const { partition, leaderEpoch } = changes.fences;
    try {
      await db.query({ name: "stet_apply", text: "SELECT stet_apply($1::integer[], $2::bigint[], $3::jsonb)" }, [partition, leaderEpoch, applyChanges(changes, partitions)]);
    } catch (error) {
      throw fenceError(error) ?? error;
    }
  };
}
