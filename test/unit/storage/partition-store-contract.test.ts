import { afterEach, describe } from "vitest";
import { MemoryPartitionStore } from "../../../partition/storage/memory/index.js";
import { openSqliteStorage } from "../../../sqlite/index.js";
import { partitionStoreContract, type OpenStore } from "./partition-store-contract.js";

// Every implementation of the partition storage seam, held to one contract.

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

const implementations: ReadonlyArray<readonly [name: string, open: OpenStore]> = [
  [
    "SQLite",
    () => {
      const storage = openSqliteStorage(":memory:");
      closers.push(() => storage.close());
      return storage.partitions;
    },
  ],
  ["memory", () => new MemoryPartitionStore()],
  // A sink that resolves later: commits that wait, as a database round trip makes them.
  ["memory with a write-set sink", () => new MemoryPartitionStore({ persist: () => new Promise((resolve) => setImmediate(resolve)) })],
];

describe.each(implementations)("the %s partition store", (_name, open) => partitionStoreContract(open));
