import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { applyMigrations, SqlitePartitionStore } from "../../../sqlite/index.js";
import { PARTITION_MIGRATIONS } from "../../../sqlite/store/partition-schema.js";
import { MessageType, newInvocationId, randomPartitionKey } from "../../../protocol/index.js";
import { plainInvocationRow } from "./invocation-rows.js";

describe("partition schema migration 3 (journal keyed by invocation seq)", () => {
  it("keeps every invocation and journal entry of a version-2 database", () => {
    const db = new BetterSqlite3(":memory:");
    applyMigrations(db, "partition", PARTITION_MIGRATIONS.filter((m) => m.version <= 2));
    const ids = [0, 1, 2].map(() => newInvocationId(randomPartitionKey()));
    const insertRow = db.prepare(
      `INSERT INTO invocations (id, partition_id, service, handler, status, created_at, modified_at, service_type, retry_count)
       VALUES (?, 0, 'S', 'h', ?, ?, ?, 'SERVICE', ?)`,
    );
    const insertEntry = db.prepare("INSERT INTO journal (invocation_id, idx, type, frame) VALUES (?, ?, ?, ?)");
    ids.forEach((id, i) => {
      insertRow.run(id, i === 2 ? "completed" : "suspended", 10 - i, 10 - i, i);
      for (let idx = 0; idx <= i; idx++) insertEntry.run(id, idx, MessageType.InputCommand, Buffer.from([i, idx]));
    });

    const store = new SqlitePartitionStore(db); // applies migration 3
    expect(db.prepare("SELECT version FROM schema_versions WHERE component = 'partition'").get()).toEqual({ version: PARTITION_MIGRATIONS.at(-1)!.version });
    ids.forEach((id, i) => {
      const record = store.invocations.get(id)!;
      expect(record).toMatchObject({ id, retryCount: i, journalLength: i + 1, status: i === 2 ? "completed" : "suspended" });
      expect(store.invocations.readJournal(id).map((e) => [...e.frame])).toEqual(Array.from({ length: i + 1 }, (_, idx) => [i, idx]));
    });
    // Older invocations get lower sequence numbers (copied in creation order).
    const seqs = db.prepare("SELECT id FROM invocations ORDER BY seq").all() as { id: string }[];
    expect(seqs.map((r) => r.id)).toEqual([ids[2], ids[1], ids[0]]);

    // A new invocation's journal goes after every migrated one, and deleting an invocation deletes its journal.
    const fresh = newInvocationId(randomPartitionKey());
    db.transaction(() => {
      store.invocations.insert(plainInvocationRow(fresh, 20));
      store.invocations.append(fresh, 0, [{ type: MessageType.InputCommand, frame: new Uint8Array([9]) }], 20);
    })();
    const last = db.prepare("SELECT invocation_seq AS seq FROM journal ORDER BY invocation_seq DESC LIMIT 1").get() as { seq: number };
    expect(last.seq).toBe((db.prepare("SELECT seq FROM invocations WHERE id = ?").get(fresh) as { seq: number }).seq);
    db.transaction(() => store.invocations.delete(ids[0]!))();
    expect(db.prepare("SELECT count(*) AS n FROM journal").get()).toEqual({ n: 2 + 3 + 1 }); // ids[1], ids[2], fresh
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
  });
});
