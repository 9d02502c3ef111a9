// Option (a), Temporal's way: all partition state as rows in PostgreSQL. The leader applies a batch in
// memory (its cache of what it wrote), turns the batch's changes into a handful of array statements
// (UNNEST), and sends them pipelined in one transaction behind the epoch fence. Nothing on the node
// matters after a crash: a new leader reads the unfinished rows and goes on.
import pg from "pg";
import { BatchLoop, mergeStats, type Engine } from "./engine.js";
import { PartitionModel, type Command, type InvocationRow, type Outcome, type RowSink } from "./model.js";

/** One batch's changes as column arrays (each row with its partition), one statement per kind of change. */
class WriteSet implements RowSink {
  /** The partition of the command being applied; set before each apply. */
  p = 0;
  inv = { p: [] as number[], seq: [] as number[], id: [] as string[], service: [] as string[], key: [] as string[], status: [] as string[], at: [] as number[] };
  status = { p: [] as number[], seq: [] as number[], status: [] as string[], at: [] as number[] };
  done = { p: [] as number[], seq: [] as number[], output: [] as Buffer[], at: [] as number[], expires: [] as number[] };
  journal = { p: [] as number[], seq: [] as number[], idx: [] as number[], type: [] as number[], frame: [] as Buffer[] };
  deleted = { p: [] as number[], seq: [] as number[] };
  /** Final image per lock and state key: a batch may take and pass one lock several times. */
  locks = new Map<string, { p: number; service: string; key: string; holder: string | undefined }>();
  inboxIn = { p: [] as number[], seq: [] as number[], service: [] as string[], key: [] as string[], id: [] as string[] };
  inboxOut = { p: [] as number[], seq: [] as number[] };
  state = new Map<string, { service: string; key: string; name: string; value: Buffer }>();

  insertInvocation(row: InvocationRow): void {
    this.inv.p.push(this.p);
    this.inv.seq.push(row.seq);
    this.inv.id.push(row.id);
    this.inv.service.push(row.service);
    this.inv.key.push(row.key);
    this.inv.status.push(row.status);
    this.inv.at.push(row.createdAt);
  }
  setStatus(row: InvocationRow, now: number): void {
    this.status.p.push(this.p);
    this.status.seq.push(row.seq);
    this.status.status.push(row.status);
    this.status.at.push(now);
  }
  complete(row: InvocationRow, output: Buffer, now: number, expiresAt: number): void {
    this.done.p.push(this.p);
    this.done.seq.push(row.seq);
    this.done.output.push(output);
    this.done.at.push(now);
    this.done.expires.push(expiresAt);
  }
  appendJournal(row: InvocationRow, idx: number, type: number, frame: Buffer): void {
    this.journal.p.push(this.p);
    this.journal.seq.push(row.seq);
    this.journal.idx.push(idx);
    this.journal.type.push(type);
    this.journal.frame.push(frame);
  }
  deleteInvocation(_id: string, seq: number): void {
    this.deleted.p.push(this.p);
    this.deleted.seq.push(seq);
  }
  setLock(service: string, key: string, holder: string | undefined): void {
    this.locks.set(`${service}\u0000${key}`, { p: this.p, service, key, holder });
  }
  pushInbox(service: string, key: string, seq: number, id: string): void {
    this.inboxIn.p.push(this.p);
    this.inboxIn.seq.push(seq);
    this.inboxIn.service.push(service);
    this.inboxIn.key.push(key);
    this.inboxIn.id.push(id);
  }
  popInbox(seq: number): void {
    this.inboxOut.p.push(this.p);
    this.inboxOut.seq.push(seq);
  }
  setState(service: string, key: string, name: string, value: Buffer): void {
    this.state.set(`${service}\u0000${key}\u0000${name}`, { service, key, name, value });
  }
}

/** Named statements: parsed once per connection, then only Bind/Execute travel. */
const SQL = {
  fence: "SELECT stet_fence($1::int[], $2::bigint[])",
  insInv: `INSERT INTO invocations (partition_id, seq, id, service, object_key, status, created_at, modified_at)
    SELECT u.p, u.seq, u.id, u.service, u.key, u.status, u.at, u.at
    FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS u(p, seq, id, service, key, status, at)`,
  journal: `INSERT INTO journal (partition_id, invocation_seq, idx, type, frame)
    SELECT * FROM unnest($1::int[], $2::bigint[], $3::int[], $4::int[], $5::bytea[])`,
  status: `UPDATE invocations i SET status = u.status, modified_at = u.at
    FROM unnest($1::int[], $2::bigint[], $3::text[], $4::bigint[]) AS u(p, seq, status, at) WHERE i.partition_id = u.p AND i.seq = u.seq`,
  complete: `UPDATE invocations i SET status = 'completed', completed_at = u.at, modified_at = u.at, output = u.output, expires_at = u.expires
    FROM unnest($1::int[], $2::bigint[], $3::bytea[], $4::bigint[], $5::bigint[]) AS u(p, seq, output, at, expires)
    WHERE i.partition_id = u.p AND i.seq = u.seq`,
  delJournal: `DELETE FROM journal j USING unnest($1::int[], $2::bigint[]) AS u(p, seq) WHERE j.partition_id = u.p AND j.invocation_seq = u.seq`,
  delInv: `DELETE FROM invocations i USING unnest($1::int[], $2::bigint[]) AS u(p, seq) WHERE i.partition_id = u.p AND i.seq = u.seq`,
  lockSet: `INSERT INTO object_locks (partition_id, service, object_key, invocation_id)
    SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[]) ON CONFLICT (service, object_key) DO UPDATE SET invocation_id = excluded.invocation_id`,
  lockDel: `DELETE FROM object_locks l USING unnest($1::text[], $2::text[]) AS u(service, key) WHERE l.service = u.service AND l.object_key = u.key`,
  inboxIn: `INSERT INTO inbox (partition_id, seq, service, object_key, invocation_id)
    SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[], $5::text[])`,
  inboxOut: `DELETE FROM inbox b USING unnest($1::int[], $2::bigint[]) AS u(p, seq) WHERE b.partition_id = u.p AND b.seq = u.seq`,
  state: `INSERT INTO state (service, object_key, state_key, value) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[])
    ON CONFLICT (service, object_key, state_key) DO UPDATE SET value = excluded.value`,
} as const;

/**
 * `grouping`: "partition" gives each partition its own connection and transactions (a partition's leader
 * may live on any node); "node" puts every partition this node leads into one transaction per tick, each
 * fenced by its own epoch (fewer, larger transactions; one stale epoch fails the node's whole batch).
 */
const APPLY_CALL = `SELECT stet_apply(${Array.from({ length: 42 }, (_, i) => `$${i + 1}`).join(", ")})`;

function applyArgs(w: WriteSet, ps: number[], epoch: number): unknown[] {
  const set = [...w.locks.values()].filter((l) => l.holder !== undefined);
  const del = [...w.locks.values()].filter((l) => l.holder === undefined);
  const st = [...w.state.values()];
  return [
    ps, ps.map(() => epoch),
    w.inv.p, w.inv.seq, w.inv.id, w.inv.service, w.inv.key, w.inv.status, w.inv.at,
    w.journal.p, w.journal.seq, w.journal.idx, w.journal.type, w.journal.frame,
    w.status.p, w.status.seq, w.status.status, w.status.at,
    w.done.p, w.done.seq, w.done.output, w.done.at, w.done.expires,
    w.deleted.p, w.deleted.seq,
    set.map((l) => l.p), set.map((l) => l.service), set.map((l) => l.key), set.map((l) => l.holder),
    del.map((l) => l.service), del.map((l) => l.key),
    w.inboxIn.p, w.inboxIn.seq, w.inboxIn.service, w.inboxIn.key, w.inboxIn.id,
    w.inboxOut.p, w.inboxOut.seq,
    st.map((x) => x.service), st.map((x) => x.key), st.map((x) => x.name), st.map((x) => x.value),
  ];
}

export class PgStateEngine implements Engine {
  readonly name: string;
  readonly #models: PartitionModel[] = [];
  readonly #clients: pg.Client[] = [];
  readonly #loops: BatchLoop<{ p: number; cmd: Command }>[] = [];

  private constructor(
    readonly partitions: number,
    readonly grouping: "partition" | "node",
    readonly oneCall: boolean,
  ) {
    this.name = `${oneCall ? "a1" : "a"}${grouping === "node" ? "+" : ""}`;
  }

  static async open(
    conn: pg.ClientConfig,
    partitions: number,
    retentionMs: number,
    grouping: "partition" | "node" = "partition",
    /** One call of stet_apply per batch instead of pipelined statements between BEGIN and COMMIT. */
    oneCall = false,
    epoch = 1,
  ): Promise<PgStateEngine> {
    const engine = new PgStateEngine(partitions, grouping, oneCall);
    for (let p = 0; p < partitions; p++) engine.#models.push(new PartitionModel(p, retentionMs));
    const loopCount = grouping === "node" ? 1 : partitions;
    for (let i = 0; i < loopCount; i++) {
      // pipeline: every statement of a transaction goes out at once; one round trip per commit.
      const client = new pg.Client({ ...conn, pipeline: true } as pg.ClientConfig);
      await client.connect();
      engine.#clients.push(client);
      engine.#loops.push(new BatchLoop((items) => engine.#commit(client, epoch, items)));
    }
    return engine;
  }

  async #commit(client: pg.Client, epoch: number, items: readonly { p: number; cmd: Command }[]): Promise<Outcome[]> {
    const w = new WriteSet();
    const fenced = new Set<number>();
    const outcomes = items.map(({ p, cmd }) => {
      w.p = p;
      fenced.add(p);
      return this.#models[p]!.apply(cmd, w);
    });
    if (this.oneCall) {
      await client.query({ name: "apply", text: APPLY_CALL, values: applyArgs(w, [...fenced], epoch) });
      return outcomes;
    }
    const q: Array<Promise<unknown>> = [];
    const run = (name: keyof typeof SQL, values: unknown[]) => q.push(client.query({ name, text: SQL[name], values }));
    q.push(client.query("BEGIN"));
    run("fence", [[...fenced], [...fenced].map(() => epoch)]);
    if (w.inv.seq.length > 0) run("insInv", [w.inv.p, w.inv.seq, w.inv.id, w.inv.service, w.inv.key, w.inv.status, w.inv.at]);
    if (w.journal.seq.length > 0) run("journal", [w.journal.p, w.journal.seq, w.journal.idx, w.journal.type, w.journal.frame]);
    if (w.status.seq.length > 0) run("status", [w.status.p, w.status.seq, w.status.status, w.status.at]);
    if (w.done.seq.length > 0) run("complete", [w.done.p, w.done.seq, w.done.output, w.done.at, w.done.expires]);
    if (w.deleted.seq.length > 0) {
      run("delJournal", [w.deleted.p, w.deleted.seq]);
      run("delInv", [w.deleted.p, w.deleted.seq]);
    }
    const set = [...w.locks.values()].filter((l) => l.holder !== undefined);
    const del = [...w.locks.values()].filter((l) => l.holder === undefined);
    if (set.length > 0) run("lockSet", [set.map((l) => l.p), set.map((l) => l.service), set.map((l) => l.key), set.map((l) => l.holder)]);
    if (del.length > 0) run("lockDel", [del.map((l) => l.service), del.map((l) => l.key)]);
    if (w.inboxIn.seq.length > 0) run("inboxIn", [w.inboxIn.p, w.inboxIn.seq, w.inboxIn.service, w.inboxIn.key, w.inboxIn.id]);
    if (w.inboxOut.seq.length > 0) run("inboxOut", [w.inboxOut.p, w.inboxOut.seq]);
    if (w.state.size > 0) {
      const s = [...w.state.values()];
      run("state", [s.map((x) => x.service), s.map((x) => x.key), s.map((x) => x.name), s.map((x) => x.value)]);
    }
    // COMMIT returns only once the WAL is flushed (synchronous_commit = on): then the batch is acknowledged.
    // After a failed statement PostgreSQL answers COMMIT with ROLLBACK, so nothing of the batch stays.
    q.push(client.query("COMMIT"));
    const results = await Promise.allSettled(q);
    const failed = results.find((r) => r.status === "rejected");
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    return outcomes;
  }

  propose(partition: number, cmd: Command): Promise<Outcome> {
    return this.#loops[this.grouping === "node" ? 0 : partition]!.submit({ p: partition, cmd });
  }
  model(partition: number): PartitionModel {
    return this.#models[partition]!;
  }
  takeStats() {
    return mergeStats(this.#loops as BatchLoop<unknown>[]);
  }
  async close(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.end()));
  }
}
