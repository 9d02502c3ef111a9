import { FRAME_HEADER_LENGTH } from "../../protocol/index.js";
import { sqlIdentifier, sqlString } from "../../partition/query/sql-values.js";
import { ARROW_TYPE_NAMES, INFORMATION_SCHEMA, SYSTEM_TABLES, type ColumnType, type TableCatalog } from "../../partition/query/system-tables.js";
// Not through query-sql/index.js: that brings the SQL parser (libpg-query) into the server bundle.
import { systemViewSelects } from "../../query-sql/system-views-sql.js";
import type { PgMigration } from "../migrations.js";
import { LIVE_STATE_SETTING, PG_DIALECT, PG_VIEW_DIALECT, QUERY_SCHEMA } from "./pg-dialect.js";

/**
 * The system tables of `POST /query` as views over the cluster's tables, in a schema of their own (the
 * system table `state` would clash with the partition table), with the functions they call. Every node
 * reads the same views, so every node answers the same for every partition. Each version drops the
 * schema and builds it whole from the current definitions (query-sql/system-views-sql.ts), which only
 * read: so a change to a view, to SYSTEM_TABLES, or to a partition table a view reads (which PostgreSQL
 * refuses while a view depends on it: drop the schema first in that step) takes a new version here.
 */
export const QUERY_PG_MIGRATIONS: readonly PgMigration[] = [{ version: 1, up: (client) => client.query(querySchemaSql()) }];

/** Each column type as the views hold it: u64 as numeric (PostgreSQL has no unsigned 64-bit type), durations as ms. */
const PG_TYPES: Readonly<Record<ColumnType, string>> = {
  utf8: "text",
  small_utf8: "text",
  u32: "bigint",
  u64: "numeric",
  i64: "bigint",
  f64: "double precision",
  decimal20: "numeric",
  bool: "boolean",
  ts: "timestamptz",
  dur: "bigint",
  bin: "bytea",
  list_u32: "bigint[]",
  list_utf8: "text[]",
  null: "text",
};

export function querySchemaSql(): string {
  const views = systemViewSelects(PG_VIEW_DIALECT);
  const view = (name: string, columns: Readonly<Record<string, string>>, from: string | undefined, catalog: TableCatalog = SYSTEM_TABLES): string => {
    const computed = PG_DIALECT.computed?.get(name);
    const select = (catalog.get(name) ?? []).map((c) => {
      // A column the reader decodes holds what it decodes from (bytes).
      const type = computed?.has(c.name) === true ? "bytea" : PG_TYPES[c.type];
      // Text sorts and compares by code point (collation "C"), as DataFusion's strings and SQLite's do.
      const collate = type === "text" ? ` COLLATE "C"` : "";
      return `CAST(${columns[c.name] ?? "NULL"} AS ${type})${collate} AS ${sqlIdentifier(c.name)}`;
    });
    const viewName = catalog === SYSTEM_TABLES ? name : `information_schema_${name}`;
    return `CREATE VIEW ${QUERY_SCHEMA}.${sqlIdentifier(viewName)} AS SELECT ${select.join(",\n  ")}\n${from === undefined ? "WHERE FALSE" : `FROM ${from}`};`;
  };
  const shared = [...views].map(([name, { columns, from }]) => view(name, columns, from));
  return [
    `DROP SCHEMA IF EXISTS ${QUERY_SCHEMA} CASCADE;`,
    `CREATE SCHEMA ${QUERY_SCHEMA};`,
    FUNCTIONS_SQL,
    view("sys_invocation_state", LIVE_COLUMNS, LIVE_FROM),
    ...shared,
    view("tables", INFORMATION_TABLES, informationFrom("tables"), INFORMATION_SCHEMA),
    view("columns", INFORMATION_COLUMNS, informationFrom("columns"), INFORMATION_SCHEMA),
  ].join("\n\n");
}

/**
 * `sys_invocation_state`: the invoker's live state, which no store keeps (as Restate keeps it in its
 * invoker's memory). The reader hands this node's to each query in a transaction-local setting, as JSON
 * (pg-system-tables.ts).
 */
const LIVE_FIELDS: ReadonlyArray<readonly [name: string, type: string]> = [
  ["partition_key", "numeric"],
  ["id", "text"],
  ["in_flight", "boolean"],
  ["retry_count", "bigint"],
  ["last_start_at", "bigint"],
  ["next_retry_at", "bigint"],
  ["last_attempt_deployment_id", "text"],
  ["last_attempt_server", "text"],
  ["last_failure", "text"],
  ["last_failure_error_code", "text"],
];
const LIVE_FROM = `json_to_recordset(CAST(coalesce(nullif(current_setting('${LIVE_STATE_SETTING}', TRUE), ''), '[]') AS json))
  AS s(${LIVE_FIELDS.map(([name, type]) => `${name} ${type}`).join(", ")})`;
/** Times come as ms. */
const LIVE_COLUMNS = Object.fromEntries(LIVE_FIELDS.map(([name]) => [name, name.endsWith("_at") ? PG_VIEW_DIALECT.timestamp(`s.${name}`) : `s.${name}`]));

/** information_schema over the system tables (the CLI checks that columns exist through it); ordinals as SQLite's. */
function informationFrom(table: "tables" | "columns"): string {
  const rows = [...SYSTEM_TABLES].flatMap(([name, columns]) =>
    table === "tables"
      ? [`(${sqlString(name)})`]
      : columns.map((c, i) => `(${[sqlString(name), sqlString(c.name), i, sqlString(c.nullable === false ? "NO" : "YES"), sqlString(ARROW_TYPE_NAMES[c.type])].join(", ")})`),
  );
  const names = table === "tables" ? "table_name" : "table_name, column_name, ordinal_position, is_nullable, data_type";
  return `(VALUES ${rows.join(", ")}) AS v(${names})`;
}
const INFORMATION_TABLES = { table_catalog: "'restate'", table_schema: "'public'", table_name: "v.table_name", table_type: "'BASE TABLE'" };
const INFORMATION_COLUMNS = {
  table_catalog: "'restate'",
  table_schema: "'public'",
  table_name: "v.table_name",
  column_name: "v.column_name",
  ordinal_position: "v.ordinal_position",
  is_nullable: "v.is_nullable",
  data_type: "v.data_type",
};

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** An invocation id's partition key field: 11 base62 digits after `inv_1` (protocol/ids.ts). */
const KEY_DIGITS = Array.from({ length: 11 }, (_, i) => `(strpos('${ALPHABET}', substr(id, ${6 + i}, 1)) - 1) * ${62n ** BigInt(10 - i)}::numeric`).join("\n      + ");

/**
 * What the views call: the partition keys (protocol/ids.ts: the key an invocation id carries is its
 * base62 field, byte-swapped; an object's is the first 8 bytes of SHA-256 over service, NUL, key), UTF-8
 * text of bytes or NULL, one field of a protobuf message (a command's name, a callee's id), and
 * FIRST_VALUE / LAST_VALUE as aggregates that keep NULLs, as DataFusion's do.
 */
const FUNCTIONS_SQL = `
CREATE FUNCTION ${QUERY_SCHEMA}.bswap32(x bigint) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ((x & 255) << 24) | (((x >> 8) & 255) << 16) | (((x >> 16) & 255) << 8) | ((x >> 24) & 255);

CREATE FUNCTION ${QUERY_SCHEMA}.bswap64(n numeric) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN ${QUERY_SCHEMA}.bswap32(CAST(mod(n, 4294967296) AS bigint)) * 4294967296::numeric
    + ${QUERY_SCHEMA}.bswap32(CAST(div(n, 4294967296) AS bigint));

CREATE FUNCTION ${QUERY_SCHEMA}.partition_key_of(id text) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE WHEN id ~ '^inv_1[0-9a-zA-Z]{33}$' THEN (
    SELECT CASE WHEN n < 18446744073709551616 THEN ${QUERY_SCHEMA}.bswap64(n) END
    FROM (SELECT ${KEY_DIGITS} AS n) digits) END;

CREATE FUNCTION ${QUERY_SCHEMA}.partition_key_for(service text, key text) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (SELECT CAST(CAST(('x' || encode(substr(d, 1, 4), 'hex')) AS bit(32)) AS bigint) * 4294967296::numeric
    + CAST(CAST(('x' || encode(substr(d, 5, 4), 'hex')) AS bit(32)) AS bigint)
    FROM (SELECT sha256(convert_to(service, 'UTF8') || decode('00', 'hex') || convert_to(key, 'UTF8')) AS d) digest);

-- An exception block is a subtransaction: only where a view shows bytes as text.
CREATE FUNCTION ${QUERY_SCHEMA}.utf8(bytes bytea) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  RETURN convert_from(bytes, 'UTF8');
EXCEPTION WHEN character_not_in_repertoire THEN
  RETURN NULL;
END $$;

-- The last length-delimited value of field \`field\` in the message of a frame (after its
-- ${FRAME_HEADER_LENGTH}-byte header); NULL when there is none or the message is malformed.
CREATE FUNCTION ${QUERY_SCHEMA}.proto_field(frame bytea, field integer) RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  pos integer := ${FRAME_HEADER_LENGTH};
  size integer := octet_length(frame);
  found bytea;
  tag bigint;
  len bigint;
  b integer;
  shift integer;
BEGIN
  WHILE pos < size LOOP
    tag := 0;
    shift := 0;
    LOOP
      IF pos >= size OR shift > 63 THEN RETURN NULL; END IF;
      b := get_byte(frame, pos);
      pos := pos + 1;
      tag := tag | ((b & 127)::bigint << shift);
      EXIT WHEN b < 128;
      shift := shift + 7;
    END LOOP;
    CASE tag & 7
      WHEN 0 THEN
        LOOP
          IF pos >= size THEN RETURN NULL; END IF;
          b := get_byte(frame, pos);
          pos := pos + 1;
          EXIT WHEN b < 128;
        END LOOP;
      WHEN 1 THEN pos := pos + 8;
      WHEN 5 THEN pos := pos + 4;
      WHEN 2 THEN
        len := 0;
        shift := 0;
        LOOP
          IF pos >= size OR shift > 63 THEN RETURN NULL; END IF;
          b := get_byte(frame, pos);
          pos := pos + 1;
          len := len | ((b & 127)::bigint << shift);
          EXIT WHEN b < 128;
          shift := shift + 7;
        END LOOP;
        IF len < 0 OR pos + len > size THEN RETURN NULL; END IF;
        IF tag >> 3 = field THEN found := substr(frame, pos + 1, len::integer); END IF;
        pos := pos + len::integer;
      ELSE RETURN NULL;
    END CASE;
  END LOOP;
  RETURN CASE WHEN pos = size THEN found END;
END $$;

-- Polymorphic SQL functions take their body as a string.
CREATE FUNCTION ${QUERY_SCHEMA}.keep_first(kept anyarray, value anyelement) RETURNS anyarray LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS 'SELECT CASE WHEN kept IS NULL THEN ARRAY[value] ELSE kept END';
CREATE FUNCTION ${QUERY_SCHEMA}.keep_last(kept anyarray, value anyelement) RETURNS anyarray LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS 'SELECT ARRAY[value]';
CREATE FUNCTION ${QUERY_SCHEMA}.kept(kept anyarray) RETURNS anyelement LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS 'SELECT kept[1]';
CREATE AGGREGATE ${QUERY_SCHEMA}.first_value_of(anyelement) (SFUNC = ${QUERY_SCHEMA}.keep_first, STYPE = anyarray, FINALFUNC = ${QUERY_SCHEMA}.kept);
CREATE AGGREGATE ${QUERY_SCHEMA}.last_value_of(anyelement) (SFUNC = ${QUERY_SCHEMA}.keep_last, STYPE = anyarray, FINALFUNC = ${QUERY_SCHEMA}.kept);
`;
