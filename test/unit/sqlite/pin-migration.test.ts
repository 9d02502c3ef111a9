import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { applyMigrations, SqlitePartitionStore } from "../../../sqlite/index.js";
import { PARTITION_MIGRATIONS } from "../../../sqlite/store/partition-schema.js";
import { newInvocationId, randomPartitionKey } from "../../../protocol/index.js";

describe("partition schema migration 5 (deployment pinning)", () => {
  it("keeps the invocations of a version-4 database, unpinned, and stores pins from then on", () => {
    const db = new BetterSqlite3(":memory:");
    applyMigrations(db, "partition", PARTITION_MIGRATIONS.filter((m) => m.version <= 4));
    const suspended = newInvocationId(randomPartitionKey());
    const completed = newInvocationId(randomPartitionKey());
    const insertRow = db.prepare(
      `INSERT INTO invocations (id, partition_id, service, handler, status, created_at, modified_at, service_type, retry_count)
       VALUES (?, 0, 'S', 'h', ?, 5, 5, 'SERVICE', 2)`,
    );
    insertRow.run(suspended, "suspended");
    insertRow.run(completed, "completed");

    const store = new SqlitePartitionStore(db); // applies migration 5
    expect(db.prepare("SELECT version FROM schema_versions WHERE component = 'partition'").get()).toEqual({ version: 5 });
    expect(store.invocations.get(suspended)).toMatchObject({ status: "suspended", retryCount: 2, pinned: null });
    expect(store.invocations.get(completed)).toMatchObject({ status: "completed", pinned: null });

    db.transaction(() => store.invocations.pin(suspended, { deploymentId: "dp_1abc", protocolVersion: 6 }))();
    // Read back from disk by a second store on the same database (no shared in-memory rows).
    const fresh = new SqlitePartitionStore(db);
    expect(fresh.invocations.get(suspended)?.pinned).toEqual({ deploymentId: "dp_1abc", protocolVersion: 6 });
    expect(fresh.invocations.get(completed)?.pinned).toBeNull();
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
  });
});
