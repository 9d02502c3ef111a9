import type { Database } from "better-sqlite3";
import { partitionKeyForKey, partitionKeyOf, type InvocationId } from "../../protocol/index.js";
import { registerJournalFunctions } from "./journal-columns.js";
import { isoTimestamp } from "../../partition/query/sql-values.js";
import { ARROW_TYPE_NAMES, INFORMATION_SCHEMA, SYSTEM_TABLES } from "../../partition/query/system-tables.js";
// Not through query-sql/index.js: that brings the SQL parser (libpg-query) into the server bundle.
import { columnsOf, systemViewSelects } from "../../query-sql/system-views-sql.js";
import { SQLITE_VIEW_DIALECT } from "./sqlite-dialect.js";

/**
 * The system tables as TEMP views over the store's own tables (query-sql/system-views-sql.ts), on a query
 * connection (read-only: the views live in its temp schema). Timestamps become ISO text, booleans 0/1,
 * as sql-values.ts describes. `sys_invocation_state` (the invoker's live view) is a TEMP table the caller
 * fills per query.
 */
export function installSystemViews(db: Database): void {
  registerViewFunctions(db);
  registerJournalFunctions(db);
  const views = systemViewSelects(SQLITE_VIEW_DIALECT);
  const view = (name: string): string => {
    const { columns, from } = views.get(name)!;
    const select = columnsOf(name).map((c) => `${columns[c] ?? "NULL"} AS "${c}"`);
    return `CREATE TEMP VIEW ${name} AS SELECT ${select.join(", ")} ${from === undefined ? "WHERE 0" : `FROM ${from}`};`;
  };
  db.exec(`
    ${view("sys_invocation_status")}

    CREATE TEMP TABLE sys_invocation_state (${columnList("sys_invocation_state")});
    -- sys_invocation joins it on id once per invocation in the store.
    CREATE INDEX temp.sys_invocation_state_id ON sys_invocation_state (id);

    ${[...views.keys()].filter((name) => name !== "sys_invocation_status").map(view).join("\n")}

    CREATE TEMP TABLE information_schema_tables (${columnList("tables", INFORMATION_SCHEMA)});
    CREATE TEMP TABLE information_schema_columns (${columnList("columns", INFORMATION_SCHEMA)});
  `);
  const addTable = db.prepare("INSERT INTO information_schema_tables VALUES ('restate', 'public', ?, 'BASE TABLE')");
  const addColumn = db.prepare("INSERT INTO information_schema_columns VALUES ('restate', 'public', ?, ?, ?, NULL, ?, ?)");
  for (const [table, columns] of SYSTEM_TABLES) {
    addTable.run(table);
    columns.forEach((c, i) => addColumn.run(table, c.name, i, c.nullable === false ? "NO" : "YES", ARROW_TYPE_NAMES[c.type]));
  }
}

function columnList(table: string, catalog = SYSTEM_TABLES): string {
  return (catalog.get(table) ?? []).map((c) => `"${c.name}"`).join(", ");
}

function registerViewFunctions(db: Database): void {
  db.function("stet_iso", { deterministic: true }, (ms: unknown) => (typeof ms === "number" ? isoTimestamp(ms) : null));
  // Partition keys are u64 and SQLite's integers i64: a key from 2^63 up is kept as its two's complement
  // (negative), and the encoders read u64 columns back as unsigned.
  const storable = (key: bigint): bigint => BigInt.asIntN(64, key);
  // The last id's key is kept: a journal scan asks for the same invocation's key once per entry.
  let lastId: unknown;
  let lastKey: bigint | null = null;
  db.function("stet_partition_key", { deterministic: true }, (id: unknown) => {
    if (id === lastId) return lastKey;
    try {
      lastKey = storable(partitionKeyOf(String(id) as InvocationId));
    } catch {
      lastKey = null;
    }
    lastId = id;
    return lastKey;
  });
  db.function("stet_partition_key_for", { deterministic: true }, (service: unknown, key: unknown) =>
    storable(partitionKeyForKey(String(service), String(key))),
  );
  db.function("stet_utf8", { deterministic: true }, (value: unknown) => {
    if (!Buffer.isBuffer(value)) return null;
    const text = value.toString("utf8");
    return Buffer.from(text, "utf8").equals(value) ? text : null;
  });
}
