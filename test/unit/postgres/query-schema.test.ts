import { describe, expect, it } from "vitest";
import { SYSTEM_TABLES } from "../../../partition/query/system-tables.js";
import { openPostgresStorage } from "../../../postgres/index.js";
import {
  create,
  encodeFrame,
  encodeMessageFrame,
  MAX_PARTITION_KEY,
  MessageType,
  newInvocationId,
  NotificationTemplateSchema,
  partitionKeyForKey,
  partitionKeyOf,
  toBinary,
  type PartitionKey,
} from "../../../protocol/index.js";
import { messageSchemas } from "../../../protocol/messages.js";
import { usePostgres } from "../../helpers/postgres.js";

// The system views of `POST /query` on PostgreSQL (postgres/query/query-schema.ts): built by the query
// migration after the tables they read, named and ordered as SYSTEM_TABLES, and the functions they call
// computing what stet computes in TypeScript.

const postgres = usePostgres();

async function opened() {
  const storage = await openPostgresStorage(postgres.url, { partitions: 4, defaultPartitions: 4 });
  await storage.close();
  return postgres.connect();
}

describe("the query schema", () => {
  it("has a view per system table with its columns in order, built once (a second node opening the database finds it there)", async () => {
    await openPostgresStorage(postgres.url, { partitions: 4, defaultPartitions: 4 }).then((s) => s.close());
    const db = await opened();
    const found = await db.query<{ table_name: string; columns: string[] }>(
      `SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position) AS columns FROM information_schema.columns
       WHERE table_schema = 'stet_query' AND table_name NOT LIKE 'information_schema_%' GROUP BY table_name ORDER BY table_name`,
    );
    const expected = [...SYSTEM_TABLES].map(([name, columns]) => ({ table_name: name, columns: columns.map((c) => c.name) }));
    expect(found.rows).toEqual(expected.sort((a, b) => (a.table_name < b.table_name ? -1 : 1)));
    expect((await db.query("SELECT version FROM schema_versions WHERE component = 'query'")).rows).toEqual([{ version: 1 }]);
  });

  it("computes partition keys as protocol/ids.ts does, from an invocation id and from an object's key", async () => {
    const db = await opened();
    const keys = [0n, 1n, 255n, 256n, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, MAX_PARTITION_KEY, 0x0123456789abcdefn] as PartitionKey[];
    for (const key of keys) {
      const id = newInvocationId(key);
      const row = await db.query("SELECT stet_query.partition_key_of($1)::text AS key", [id]);
      expect([id, row.rows[0]!.key]).toEqual([id, partitionKeyOf(id).toString()]);
    }
    for (const [service, key] of [["Counter", "k"], ["Ünïcode", "ключ"], ["Svc", ""]] as const) {
      const row = await db.query("SELECT stet_query.partition_key_for($1, $2)::text AS key", [service, key]);
      expect(row.rows[0]!.key).toBe(partitionKeyForKey(service, key).toString());
    }
    const bad = await db.query("SELECT stet_query.partition_key_of('inv_1short') AS a, stet_query.partition_key_of('dp_1zzzzzzzzzzzzzzzzzzzzzz') AS b");
    expect(bad.rows).toEqual([{ a: null, b: null }]);
  });

  it("reads a command's name and a callee's id from a frame, and text from bytes only when they are UTF-8", async () => {
    const db = await opened();
    const run = encodeMessageFrame(MessageType.RunCommand, create(messageSchemas[MessageType.RunCommand], { name: "stëp", resultCompletionId: 3 }));
    const unnamed = encodeMessageFrame(MessageType.RunCommand, create(messageSchemas[MessageType.RunCommand], { resultCompletionId: 3 }));
    const callee = encodeFrame(
      MessageType.CallInvocationIdCompletionNotification,
      toBinary(NotificationTemplateSchema, create(NotificationTemplateSchema, { id: { case: "completionId", value: 1 }, result: { case: "invocationId", value: "inv_1abc" } })),
    );
    const cut = run.subarray(0, run.length - 1);
    const row = await db.query(
      `SELECT stet_query.utf8(stet_query.proto_field($1, 12)) AS name, stet_query.proto_field($2, 12) AS unnamed,
         stet_query.utf8(stet_query.proto_field($3, 16)) AS callee, stet_query.proto_field($4, 12) AS cut,
         stet_query.utf8($5) AS text, stet_query.utf8($6) AS latin1, stet_query.utf8($7) AS nul`,
      [run, unnamed, callee, cut, Buffer.from("héllo"), Buffer.from([0x68, 0xe9]), Buffer.from([0x61, 0x00])],
    );
    expect(row.rows).toEqual([{ name: "stëp", unnamed: null, callee: "inv_1abc", cut: null, text: "héllo", latin1: null, nul: null }]);
  });

  it("keeps the first and the last value of an ordered aggregate, NULL included", async () => {
    const db = await opened();
    const row = await db.query(
      `SELECT stet_query.first_value_of(v ORDER BY o) AS first, stet_query.last_value_of(v ORDER BY o) AS last,
         stet_query.first_value_of(v ORDER BY o DESC) AS first_desc
       FROM (VALUES (1, NULL::text), (2, 'b'), (3, 'c')) AS t(o, v)`,
    );
    expect(row.rows).toEqual([{ first: null, last: "c", first_desc: "c" }]);
  });
});
