import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PartitionStore } from "../../../partition/index.js";
import { MemoryPartitionStore, type WriteSet } from "../../../partition/storage/memory/index.js";
import type { InvocationId } from "../../../protocol/index.js";
import { FENCE, newId } from "./contract-helpers.js";
import { batches, KEYS, PARTITIONS, play, plain } from "./random-steps.js";

// The write sets of random work, replayed in order into a table-by-table copy as a database would
// apply them: the copy must hold, after every batch, what the store's tables read. So a write set says
// all that changed (nothing is lost between the mirror and PostgreSQL) and only that (every delete names
// a row the copy has, no appended journal entry is there already).

type Row = Record<string, unknown>;

/** What a database holds after applying write sets: per table, rows by their key columns. */
class Replica {
  readonly tables = new Map<string, Map<string, Row>>();

  apply(changes: WriteSet): void {
    const { fences: _fences, sequences: _sequences, ...tables } = changes;
    for (const [name, { upserts, deletes }] of Object.entries(tables)) {
      const rows = this.rows(name);
      const keyColumns = Object.keys(deletes);
      const deleted = rowsOf(deletes).map((key) => JSON.stringify(plain(key)));
      if (name === "journal") {
        for (const key of deleted) {
          const before = rows.size;
          for (const [k, row] of rows) if (JSON.stringify(plain({ invocationSeq: row["invocationSeq"] })) === key) rows.delete(k);
          expect(rows.size, `journal delete ${key} names entries`).toBeLessThan(before);
        }
        for (const row of rowsOf(upserts)) {
          const key = JSON.stringify([row["invocationSeq"], row["idx"]]);
          expect(rows.has(key), `journal entry ${key} appended once`).toBe(false);
          rows.set(key, row);
        }
        continue;
      }
      for (const key of deleted) expect(rows.delete(key), `${name} delete ${key} names a row`).toBe(true);
      for (const row of rowsOf(upserts)) {
        const key = JSON.stringify(plain(Object.fromEntries(keyColumns.map((c) => [c, row[c]]))));
        expect(deleted, `${name} ${key} both upserted and deleted`).not.toContain(key);
        rows.set(key, row);
      }
    }
  }

  rows(table: string): Map<string, Row> {
    let rows = this.tables.get(table);
    if (rows === undefined) this.tables.set(table, (rows = new Map()));
    return rows;
  }

  /** The rows of `table` that match `where`, ordered by the columns of `orderBy`. */
  select(table: string, where: Row, orderBy: readonly string[]): Row[] {
    const matches = [...this.rows(table).values()].filter((row) => Object.entries(where).every(([c, v]) => row[c] === v));
    const sortKey = (row: Row) => orderBy.map((c) => row[c]);
    return matches.sort((a, b) => compareKeys(sortKey(a), sortKey(b)));
  }
}

function compareKeys(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i], b[i]];
    const order = x instanceof Uint8Array && y instanceof Uint8Array ? Buffer.compare(x, y) : x! < y! ? -1 : x! > y! ? 1 : 0;
    if (order !== 0) return order;
  }
  return 0;
}

function rowsOf(columns: object): Row[] {
  const entries = Object.entries(columns as Record<string, unknown[]>);
  return (entries[0]?.[1] ?? []).map((_, i) => Object.fromEntries(entries.map(([name, values]) => [name, values[i]])));
}

/** The store's tables as reads see them, beside the same read answered from the replica. */
function compare(store: PartitionStore, replica: Replica, ids: readonly InvocationId[]): void {
  for (const id of ids) {
    const record = store.invocations.get(id);
    const [row] = replica.select("invocations", { id }, []);
    expect(row === undefined, `invocation ${id} in both or neither`).toBe(record === undefined);
    if (record === undefined || row === undefined) continue;
    expect(plain([row["status"], row["journalLength"], row["holdsLock"], row["expiresAt"], row["retryCount"], row["modifiedAt"], row["output"]])).toEqual(
      plain([record.status, record.journalLength, record.holdsLock, record.expiresAt, record.retryCount, record.modifiedAt, record.outcome?.kind === "value" ? record.outcome.value : null]),
    );
    const journal = replica.select("journal", { invocationSeq: row["seq"] }, ["idx"]).map((e) => ({ type: e["type"], frame: e["frame"] }));
    expect(plain(journal)).toEqual(plain(store.invocations.readJournal(id)));
  }
  const seqs = new Set([...replica.rows("invocations").values()].map((row) => row["seq"]));
  const orphans = [...replica.rows("journal").values()].filter((entry) => !seqs.has(entry["invocationSeq"]));
  expect(orphans, "journal entries without their invocation").toEqual([]);
  for (const p of PARTITIONS) {
    const timers = replica.select("timers", { partition: p }, ["fireAt", "seq"]);
    expect(plain(timers.map((t) => [t["seq"], t["invocationId"], t["kind"], t["completionId"], t["fireAt"]]))).toEqual(
      plain(store.timers.due(p, Number.MAX_SAFE_INTEGER, 1_000).map((t) => [t.seq, t.invocationId, t.kind, t.completionId, t.fireAt])),
    );
    const outbox = replica.select("outbox", { sourcePartition: p }, ["seq"]);
    expect(outbox.map((m) => [m["seq"], m["targetPartition"], m["message"]])).toEqual(store.outbox.pending(p).map((m) => [m.seq, m.targetPartition, m.message]));
  }
  for (const key of KEYS) {
    const state = replica.select("state", { service: "O", objectKey: key }, ["stateKey"]).map((s) => [s["stateKey"], s["value"]]);
    expect(plain(state)).toEqual(plain(store.state.all("O", key)));
    expect(replica.select("locks", { service: "O", objectKey: key }, [])[0]?.["invocationId"]).toBe(store.locks.holder("O", key));
    expect(replica.select("workflows", { service: "W", objectKey: key }, [])[0]?.["invocationId"]).toBe(store.idempotency.workflowRun("W", key));
    for (const i of ["i0", "i1", "i2"]) {
      expect(replica.select("idempotency", { service: "S", objectKey: key, idempotencyKey: i }, [])[0]?.["invocationId"]).toBe(store.idempotency.get("S", key, "h", i));
    }
    for (const name of ["p0", "p1", "p2"]) {
      const promise = replica.select("promises", { service: "W", objectKey: key, name }, [])[0];
      expect(promise === undefined ? undefined : promise["kind"]).toBe(store.promises.get("W", key, name)?.kind);
    }
  }
}

/** Takes what waits in inboxes, waiter lists and state mutations (reads of them take them) from the store and the replica. */
function drain(store: PartitionStore, replica: Replica): void {
  for (const key of KEYS) {
    const inbox = replica.select("inbox", { service: "O", objectKey: key }, ["seq"]).map((e) => e["invocationId"]);
    const taken: unknown[] = [];
    for (let id = store.locks.dequeue("O", key); id !== undefined; id = store.locks.dequeue("O", key)) taken.push(id);
    expect(taken).toEqual(inbox);
    for (const kind of ["outcome", "promise"] as const) {
      const waiting = replica.select("waiters", { kind, target: key }, ["seq"]).map((w) => w["waiterId"]);
      expect(store.waiters.take(kind, key).map((w) => w.waiterId)).toEqual(waiting);
    }
  }
  for (const mutation of replica.select("stateMutations", {}, ["seq"])) {
    expect(store.stateMutations.take(`state-mutation:${String(mutation["seq"])}`)?.key).toBe(mutation["objectKey"]);
  }
}

describe("the memory store's write sets, replayed", () => {
  it("rebuild what the store holds, batch after batch, and nothing else", async () => {
    await fc.assert(
      fc.asyncProperty(batches, async (plan) => {
        const ids = Array.from({ length: 8 }, newId);
        const replica = new Replica();
        const store = new MemoryPartitionStore({ persist: async (changes) => replica.apply(changes) });
        await play(store, ids, plan, () => compare(store, replica, ids));
        const last = store.begin();
        last.command(FENCE, () => drain(store, replica));
        await last.commit();
        for (const table of ["inbox", "waiters", "stateMutations"]) expect(replica.rows(table).size, table).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});
