import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryPartitionStore } from "../../../partition/storage/memory/index.js";
import { openSqliteStorage } from "../../../sqlite/index.js";
import { newId } from "./contract-helpers.js";
import { batches, play } from "./random-steps.js";

// The memory store against SQLite, the reference: random batches of random commands (some of which throw
// halfway) applied to both, every answer and then everything both hold compared. The contract pins each
// rule by example; this finds the combinations no example thought of.

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

describe("the memory store beside SQLite", () => {
  it("answers every step and holds everything as SQLite does", async () => {
    await fc.assert(
      fc.asyncProperty(batches, async (plan) => {
        const ids = Array.from({ length: 8 }, newId);
        const sqlite = openSqliteStorage(":memory:");
        closers.push(() => sqlite.close());
        const memory = new MemoryPartitionStore();
        const [expected, got] = [await play(sqlite.partitions, ids, plan), await play(memory, ids, plan)];
        expect(got).toEqual(expected);
        expect(memory.verify()).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
