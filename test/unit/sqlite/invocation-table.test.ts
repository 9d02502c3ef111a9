import BetterSqlite3 from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SqlitePartitionStore } from "../../../sqlite/index.js";
import { MessageType, newInvocationId, randomPartitionKey, type InvocationId } from "../../../protocol/index.js";
import { plainInvocationRow } from "./invocation-rows.js";

function store() {
  return new SqlitePartitionStore(new BetterSqlite3(":memory:"));
}

function insert(s: SqlitePartitionStore, n: number): InvocationId[] {
  const ids: InvocationId[] = [];
  s.db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const id = newInvocationId(randomPartitionKey());
      s.invocations.insert(plainInvocationRow(id, 1));
      s.invocations.append(id, 0, [{ type: MessageType.InputCommand, frame: new Uint8Array([i % 256]) }], 1);
      ids.push(id);
    }
  })();
  return ids;
}

describe("invocation table", () => {
  it("reads the same rows from memory and from disk, also past the cache's bound", () => {
    const s = store();
    const ids = insert(s, 9000);
    s.invocations.setStatus(ids[0]!, "suspended", 2);
    s.invocations.append(ids[0]!, 1, [{ type: MessageType.RunCommand, frame: new Uint8Array([1]) }], 2);
    const fromMemoryOrDisk = s.invocations.get(ids[0]!);
    s.invocations.invalidate();
    const fromDisk = s.invocations.get(ids[0]!);
    expect(fromMemoryOrDisk).toMatchObject({ status: "suspended", journalLength: 2 });
    expect(fromDisk).toMatchObject({ status: "suspended", journalLength: 2 });
    expect(s.invocations.get(ids[8999]!)).toMatchObject({ status: "invoked", journalLength: 1 });
  });

  it("forgets what a rolled-back transaction wrote once invalidated", () => {
    const s = store();
    const [id] = insert(s, 1);
    expect(() =>
      s.db.transaction(() => {
        s.invocations.setStatus(id!, "paused", 3);
        throw new Error("roll back");
      })(),
    ).toThrow("roll back");
    s.invocations.invalidate();
    expect(s.invocations.get(id!)?.status).toBe("invoked");
  });
});
