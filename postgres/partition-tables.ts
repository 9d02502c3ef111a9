import type { PartitionRows, WriteSet } from "../partition/storage/memory/index.js";
import { packState, unpackState, type RowPartitions } from "./partition-rows.js";

/** A column of a partition table: its SQL name, its SQL type, and the write set's field it holds. */
type Column = readonly [column: string, type: string, field: string];

/**
 * How one table of a WriteSet maps to its PostgreSQL table (postgres/partition-schema.ts): the columns
 * an upsert writes, the key a delete names, and how a row is read back into the write set's shape.
 */
export interface PartitionTable {
  readonly name: Exclude<keyof WriteSet, "fences" | "sequences">;
  readonly table: string;
  readonly columns: readonly Column[];
  readonly key: readonly Column[];
  /** The partition column a load selects by. */
  readonly partitionColumn: string;
  /** Journal entries are only ever appended: a conflict is a bug, not an update. */
  readonly appendOnly?: boolean;
  /** Values of the upserts, one array per column, from the write set (derived columns filled in). */
  upserts(changes: WriteSet, partitions: RowPartitions): unknown[][];
  /** A loaded row (aliased to the write set's field names) as the write set holds it. */
  fromRow?(row: Record<string, unknown>): Record<string, unknown>;
}

const int = (column: string, field: string): Column => [column, "integer", field];
const big = (column: string, field: string): Column => [column, "bigint", field];
const txt = (column: string, field: string): Column => [column, "text", field];
const bin = (column: string, field: string): Column => [column, "bytea", field];
const PARTITION = int("partition_id", "partition");
/** A partition column the write set has no field for: the sink derives it (RowPartitions), a load does not read it. */
const DERIVED_PARTITION: Column = ["partition_id", "integer", ""];

/** A table whose upserts are its write set columns as they are, plus a partition derived per row when it has none. */
function table(
  name: PartitionTable["name"],
  sqlTable: string,
  columns: readonly Column[],
  key: readonly Column[],
  partitionOf?: (row: (i: number) => Record<string, unknown>, i: number, partitions: RowPartitions) => number,
): PartitionTable {
  const all = partitionOf === undefined ? columns : [...columns, DERIVED_PARTITION];
  return {
    name,
    table: sqlTable,
    columns: all,
    key,
    partitionColumn: all.find(([c]) => c === "partition_id" || c === "source_partition")?.[0] ?? "partition_id",
    upserts(changes, partitions) {
      const upserts = changes[name].upserts as unknown as Record<string, unknown[]>;
      const values = columns.map(([, , field]) => upserts[field]!);
      if (partitionOf !== undefined) {
        const count = values[0]?.length ?? 0;
        const rowAt = (i: number) => Object.fromEntries(columns.map(([, , field]) => [field, upserts[field]![i]]));
        values.push(Array.from({ length: count }, (_, i) => partitionOf(rowAt, i, partitions)));
      }
      return values;
    },
  };
}

const SERVICE = txt("service", "service");
const OBJECT_KEY = txt("object_key", "objectKey");
const SEQ = big("seq", "seq");
const byObject = (row: (i: number) => Record<string, unknown>, i: number, p: RowPartitions) => {
  const r = row(i);
  return p.object(r["service"] as string, r["objectKey"] as string);
};

/** Every partition table, in the order a load reads them and a transaction writes them. */
export const PARTITION_TABLES: readonly PartitionTable[] = [
  table(
    "invocations",
    "invocations",
    [
      SEQ, txt("id", "id"), PARTITION, SERVICE, txt("handler", "handler"), OBJECT_KEY, txt("service_type", "serviceType"),
      txt("handler_type", "handlerType"), txt("status", "status"), txt("idempotency_key", "idempotencyKey"), txt("caller_id", "callerId"),
      int("caller_completion_id", "callerCompletionId"), big("execution_time", "executionTime"), big("retention_ms", "retentionMs"),
      big("expires_at", "expiresAt"), txt("awaiting", "awaiting"), ["holds_lock", "boolean", "holdsLock"], big("created_at", "createdAt"),
      big("modified_at", "modifiedAt"), int("retry_count", "retryCount"), txt("last_failure", "lastFailure"),
      txt("pinned_deployment_id", "pinnedDeploymentId"), int("pinned_protocol_version", "pinnedProtocolVersion"),
      int("journal_length", "journalLength"), big("completed_at", "completedAt"), txt("output_kind", "outputKind"), bin("output", "output"),
      int("failure_code", "failureCode"), txt("failure_message", "failureMessage"),
    ],
    // By id, not seq: an invocation deleted and inserted again in one batch is one upsert with a new seq.
    [txt("id", "id")],
  ),
  {
    ...table("journal", "journal", [big("invocation_seq", "invocationSeq"), int("idx", "idx"), int("type", "type"), bin("frame", "frame")], [
      big("invocation_seq", "invocationSeq"),
    ]),
    columns: [big("invocation_seq", "invocationSeq"), int("idx", "idx"), int("type", "type"), bin("frame", "frame"), DERIVED_PARTITION],
    partitionColumn: "partition_id",
    appendOnly: true,
    // An append always rewrites its invocation's row (journalLength) in the same batch: its partition is there.
    upserts(changes) {
      const { upserts } = changes.journal;
      const bySeq = new Map(changes.invocations.upserts.seq.map((seq, i) => [seq, changes.invocations.upserts.partition[i]!]));
      return [upserts.invocationSeq, upserts.idx, upserts.type, upserts.frame, upserts.invocationSeq.map((seq) => bySeq.get(seq) ?? null)];
    },
  },
  table("state", "state", [SERVICE, OBJECT_KEY, bin("state_key", "stateKey"), bin("value", "value")], [SERVICE, OBJECT_KEY, bin("state_key", "stateKey")], byObject),
  table("locks", "object_locks", [SERVICE, OBJECT_KEY, txt("invocation_id", "invocationId")], [SERVICE, OBJECT_KEY], byObject),
  table("inbox", "inbox", [SEQ, SERVICE, OBJECT_KEY, txt("invocation_id", "invocationId")], [SEQ], byObject),
  table(
    "timers",
    "timers",
    [SEQ, PARTITION, big("fire_at", "fireAt"), txt("invocation_id", "invocationId"), txt("kind", "kind"), int("completion_id", "completionId")],
    [SEQ],
  ),
  table("outbox", "outbox", [SEQ, int("source_partition", "sourcePartition"), int("target_partition", "targetPartition"), txt("message", "message")], [SEQ]),
  table(
    "idempotency",
    "idempotency",
    [SERVICE, OBJECT_KEY, txt("handler", "handler"), txt("idempotency_key", "idempotencyKey"), txt("invocation_id", "invocationId")],
    [SERVICE, OBJECT_KEY, txt("handler", "handler"), txt("idempotency_key", "idempotencyKey")],
    (row, i, p) => p.invocation(row(i)["invocationId"] as string),
  ),
  table("workflows", "workflows", [SERVICE, OBJECT_KEY, txt("invocation_id", "invocationId")], [SERVICE, OBJECT_KEY], byObject),
  table(
    "promises",
    "promises",
    [SERVICE, OBJECT_KEY, txt("name", "name"), txt("kind", "kind"), bin("value", "value"), int("failure_code", "failureCode"), txt("failure_message", "failureMessage")],
    [SERVICE, OBJECT_KEY, txt("name", "name")],
    byObject,
  ),
  {
    ...table(
      "waiters",
      "waiters",
      [SEQ, txt("kind", "kind"), bin("target", "target"), txt("waiter_id", "waiterId"), int("completion_id", "completionId"), int("notification_type", "notificationType")],
      [SEQ],
      (row, i, p) => p.waiter(row(i)["kind"] as string, row(i)["target"] as string),
    ),
    // A target as UTF-8 bytes: a promise's target joins its parts with NUL, which PostgreSQL's text refuses.
    upserts(changes, partitions) {
      const u = changes.waiters.upserts;
      const target = u.target.map((t) => Buffer.from(t, "utf8"));
      return [u.seq, u.kind, target, u.waiterId, u.completionId, u.notificationType, u.kind.map((kind, i) => partitions.waiter(kind, u.target[i]!))];
    },
    fromRow: ({ target, ...row }) => ({ ...row, target: (target as Buffer).toString("utf8") }),
  },
  {
    name: "stateMutations",
    table: "state_mutations",
    columns: [SEQ, DERIVED_PARTITION, SERVICE, OBJECT_KEY, txt("expected_version", "expectedVersion"), bin("new_state", "newState")],
    key: [SEQ],
    partitionColumn: "partition_id",
    upserts(changes, partitions) {
      const u = changes.stateMutations.upserts;
      return [
        u.seq,
        u.service.map((service, i) => partitions.object(service, u.objectKey[i]!)),
        u.service,
        u.objectKey,
        u.expectedVersion,
        u.stateKeys.map((keys, i) => packState(keys, u.stateValues[i]!)),
      ];
    },
    fromRow: ({ newState, ...row }) => ({ ...row, ...unpackState(newState as Buffer) }),
  },
];

/**
 * The SQL that reads `t`'s rows of partition $1, aliased to the write set's field names, bigints as
 * float8 (exact below 2^53: the driver would hand back strings). Journals go with their invocations.
 */
export function loadSql(t: PartitionTable): string {
  const list = t.columns
    .filter(([, , field]) => field !== "")
    .map(([c, type, field]) => `${t.table}.${c}${type === "bigint" ? "::float8" : ""} AS "${field}"`)
    .join(", ");
  // Through the invocations' partition index and the journal's key: the journal has no partition index.
  if (t.name === "journal") {
    return `SELECT ${list} FROM invocations i JOIN journal ON journal.invocation_seq = i.seq WHERE i.partition_id = $1 ORDER BY journal.invocation_seq, journal.idx`;
  }
  const order = t.key.map(([c]) => c).join(", ");
  return `SELECT ${list} FROM ${t.table} WHERE ${t.partitionColumn} = $1 ORDER BY ${order}`;
}

/** Loaded rows of `t` as the write set's column arrays. */
export function toLoaded(t: PartitionTable, rows: ReadonlyArray<Record<string, unknown>>): PartitionRows[keyof PartitionRows] {
  const images = t.fromRow === undefined ? rows : rows.map(t.fromRow);
  const fields = images.length === 0 ? [] : Object.keys(images[0]!);
  return Object.fromEntries(fields.map((f) => [f, images.map((row) => row[f])])) as unknown as PartitionRows[keyof PartitionRows];
}
