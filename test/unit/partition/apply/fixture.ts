import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import type { Effect, EffectFence, JournalFrame } from "../../../../invoker/index.js";
import {
  applyCommand,
  encodeEntry,
  type CommandResult,
  type HandlerInfo,
  type InvocationOutcome,
  type InvocationRecord,
  type InvocationStatus,
  type InvocationTarget,
  type LeaderEpoch,
  type PartitionAction,
  type PartitionCommand,
  type PartitionId,
  type PartitionMessage,
  type PartitionStore,
} from "../../../../partition/index.js";
import { MemoryPartitionStore } from "../../../../partition/storage/memory/index.js";
import { openSqliteStorage } from "../../../../sqlite/index.js";
import {
  asPartitionKey,
  create,
  decodeFrameMessage,
  encodeFrame,
  frameFromRaw,
  messageSchemas,
  MessageType,
  messageTypeName,
  newInvocationId,
  partitionKeyForKey,
  partitionOf,
  toBinary,
  type AwaitedIds,
  type InvocationId,
  type MessageTypeName,
} from "../../../../protocol/index.js";

/** The partition every fixture applies in, and its leader's epoch. */
export const HERE = 0 as PartitionId;
export const EPOCH = 7 as LeaderEpoch;
/** Epoch ms the fixture's clock starts at. */
export const T0 = 1_000_000;

function handlerInfo(serviceType: HandlerInfo["serviceType"], handlerType: HandlerInfo["handlerType"]): HandlerInfo {
  return { serviceType, handlerType, retentionMs: 60_000, maxAttempts: null, onMaxAttempts: "PAUSE" };
}

/** The handlers the fixture's registry knows, by `service/handler`; a test may add or replace some. */
export const HANDLERS: Readonly<Record<string, HandlerInfo>> = {
  "Svc/h": handlerInfo("SERVICE", null),
  "Obj/run": handlerInfo("VIRTUAL_OBJECT", "EXCLUSIVE"),
  "Obj/get": handlerInfo("VIRTUAL_OBJECT", "SHARED"),
  "Wf/run": handlerInfo("WORKFLOW", "WORKFLOW"),
  "Wf/signal": handlerInfo("WORKFLOW", "SHARED"),
};

export const SVC: InvocationTarget = { service: "Svc", handler: "h", key: "" };
export const OBJ: InvocationTarget = { service: "Obj", handler: "run", key: "k" };
export const OBJ_SHARED: InvocationTarget = { service: "Obj", handler: "get", key: "k" };
export const WF: InvocationTarget = { service: "Wf", handler: "run", key: "w" };

export const bytes = (s: string): Uint8Array => Buffer.from(s, "utf8");
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString("utf8"));
export const value = (s: string): InvocationOutcome => ({ kind: "value", value: bytes(s) });

/** An invocation id whose partition key falls in `partition` of `partitionCount`. */
export function idIn(partition: number, partitionCount: number): InvocationId {
  return newInvocationId(asPartitionKey(((1n << 64n) / BigInt(partitionCount)) * BigInt(partition)));
}

/** An object key of `service` whose partition key falls in `partition` of `partitionCount`. */
export function keyIn(service: string, partition: number, partitionCount: number): string {
  for (let i = 0; ; i++) if (partitionOf(partitionKeyForKey(service, `k${i}`), partitionCount) === partition) return `k${i}`;
}

type SchemaOf<N extends MessageTypeName> = (typeof messageSchemas)[(typeof MessageType)[N]];

/** A journal entry (command or notification) as the service (or the runtime) frames it. */
export function entry<N extends MessageTypeName>(name: N, init: MessageInitShape<SchemaOf<N>>): JournalFrame {
  const type = MessageType[name];
  const schema: DescMessage = messageSchemas[type];
  return { type, frame: encodeFrame(type, toBinary(schema, create(schema, init as MessageInitShape<DescMessage>))) };
}

/** A stored journal entry decoded, named by its message type for readable assertions. */
export function decoded(e: JournalFrame): { readonly name: string; readonly message: Record<string, unknown> } {
  const { type, message } = decodeFrameMessage(frameFromRaw(e.frame));
  return { name: messageTypeName(type), message: message as unknown as Record<string, unknown> };
}

type InvocationSpec = Extract<PartitionMessage, { kind: "invoke" }>["spec"];

export const kinds = (actions: readonly PartitionAction[]): string[] => actions.map((a) => a.kind);

/** An effect without its fence (the fixture adds the current attempt's); distributes over the union. */
type WithoutFence<E> = E extends unknown ? Omit<E, "fence"> : never;
type EffectBody = WithoutFence<Effect>;

export interface Applied {
  readonly result: CommandResult;
  readonly actions: PartitionAction[];
}

export interface InvokeOptions {
  readonly id?: InvocationId;
  readonly handler?: HandlerInfo;
  readonly body?: string;
  readonly idempotencyKey?: string;
  readonly caller?: { readonly id: InvocationId; readonly completionId: number };
  readonly executionTime?: number;
}

/**
 * The store the apply tests run on, with `db.transaction(work)` (better-sqlite3's: `work` in one
 * transaction) that the fixture and one test use. SQLite by default; the memory store when
 * STET_TEST_STORE=memory (vitest.config.ts reruns this folder so), where a transaction is a batch of one
 * command: undone when it throws, committed at once (the memory store without a sink commits in place).
 */
export type FixtureStore = PartitionStore & { readonly db: { transaction<T>(work: () => T): () => T } };

function openFixtureStore(): FixtureStore {
  if (process.env["STET_TEST_STORE"] !== "memory") return openSqliteStorage(":memory:").partitions;
  const store = new MemoryPartitionStore();
  const transaction =
    <T>(work: () => T) =>
    (): T => {
      const batch = store.begin();
      try {
        return batch.command(null, work);
      } finally {
        void batch.commit();
      }
    };
  return Object.assign(store, { db: { transaction } });
}

/**
 * One partition's store (SQLite in memory, opened and migrated as a node opens it, or the memory store:
 * FixtureStore) and the apply step over it: each `apply` is one command in its own transaction, as the
 * group commit runs it.
 */
export class ApplyFixture {
  readonly store: FixtureStore;
  readonly partitionCount: number;
  readonly handlers: Map<string, HandlerInfo>;
  now = T0;

  constructor(options: { partitionCount?: number; handlers?: Record<string, HandlerInfo> } = {}) {
    this.store = openFixtureStore();
    this.partitionCount = options.partitionCount ?? 1;
    this.handlers = new Map(Object.entries({ ...HANDLERS, ...options.handlers }));
  }

  apply(command: PartitionCommand): Applied {
    const actions: PartitionAction[] = [];
    const { store, partitionCount, now } = this;
    const services = { resolve: (service: string, handler: string) => this.handlers.get(`${service}/${handler}`) };
    try {
      const result = store.db.transaction(() =>
        applyCommand({ store, partition: HERE, epoch: EPOCH, partitionCount, now, services, actions }, command),
      )();
      return { result, actions };
    } catch (error) {
      // As the group commit does on a rollback: the invocation rows cached in memory may be ahead.
      store.invocations.invalidate();
      throw error;
    }
  }

  /** A new invocation of `target` with the registry's handler (or `options.handler`), as ingress asks for it. */
  spec(target: InvocationTarget, options: InvokeOptions = {}): InvocationSpec {
    const input = entry("InputCommand", { headers: [], value: { content: bytes(options.body ?? "in") } });
    return {
      invocationId: options.id ?? idIn(HERE, this.partitionCount),
      target,
      handler: options.handler ?? this.handlers.get(`${target.service}/${target.handler}`)!,
      input: encodeEntry(input),
      idempotencyKey: options.idempotencyKey ?? null,
      caller: options.caller ?? null,
      executionTime: options.executionTime ?? null,
    };
  }

  /** Applies `invoke`; `id` is the invocation started, or the one its idempotency key or workflow id named. */
  invoke(target: InvocationTarget, options: InvokeOptions = {}): Applied & { readonly id: InvocationId } {
    const applied = this.apply({ kind: "invoke", spec: this.spec(target, options) });
    return { ...applied, id: applied.result.started!.invocationId };
  }

  /** The fence of the invocation's current attempt under this leader. */
  fence(id: InvocationId): EffectFence {
    // Read as apply reads it, so that commands meet the table's in-memory rows as they do in a node.
    return { partition: HERE, leaderEpoch: EPOCH, invocationId: id, attempt: this.store.invocations.get(id)!.retryCount };
  }

  /** Applies an effect of the invocation's current attempt. */
  effect(id: InvocationId, body: EffectBody): Applied {
    return this.apply({ ...body, fence: this.fence(id) } as Effect);
  }

  /** Applies a `journal` effect: the service wrote `entries`. */
  journal(id: InvocationId, ...entries: JournalFrame[]): Applied {
    return this.effect(id, { kind: "journal", entries });
  }

  /** Applies `suspended` from an attempt that saw the whole journal and awaits `awaited`. */
  suspend(id: InvocationId, awaited: Partial<AwaitedIds>): Applied {
    const awaiting = { completions: [], signals: [], names: [], ...awaited };
    return this.effect(id, { kind: "suspended", entriesSeen: this.store.invocations.get(id)!.journalLength, awaiting });
  }

  /** The invocation's row as stored (not as the table's in-memory mirror of live rows holds it). */
  record(id: InvocationId): InvocationRecord | undefined {
    this.store.invocations.invalidate();
    return this.store.invocations.get(id);
  }

  /** The ids of this partition's unfinished invocations, oldest first. */
  unfinished(): InvocationId[] {
    return this.store.invocations.listUnfinished(HERE).map((r) => r.id);
  }

  /** What this partition's outbox holds: each message with the partition it goes to. */
  outbox(): Array<{ readonly seq: number; readonly to: number; readonly message: unknown }> {
    return this.store.outbox.pending(HERE).map((row) => ({ seq: row.seq, to: row.targetPartition, message: JSON.parse(row.message) }));
  }

  /** An object's (or workflow's) stored state as text. */
  state(service: string, key: string): Record<string, string> {
    return Object.fromEntries(this.store.state.all(service, key).map(([k, v]) => [text(k), text(v)]));
  }

  /** The invocation's stored journal from index `from`, decoded. */
  entries(id: InvocationId, from = 0): ReturnType<typeof decoded>[] {
    return this.store.invocations.readJournalFrom(id, from).map(decoded);
  }
}

/** An invocation in each state an operator can meet, by status (OBJ's key is held by a sixth one). */
export function inEveryState(f: ApplyFixture): Readonly<Record<InvocationStatus, InvocationId>> {
  const invoked = f.invoke(SVC).id;
  const backingOff = f.invoke(SVC).id;
  f.effect(backingOff, { kind: "attempt-failed", failure: "boom" });
  const suspended = f.invoke(SVC).id;
  f.suspend(suspended, { completions: [1] });
  const paused = f.invoke(SVC).id;
  f.apply({ kind: "control", op: "pause", invocationId: paused });
  const completed = f.invoke(SVC).id;
  f.effect(completed, { kind: "end", result: value("done") });
  const scheduled = f.invoke(SVC, { executionTime: T0 + 1_000 }).id;
  f.invoke(OBJ);
  const inboxed = f.invoke(OBJ).id;
  return { invoked, "backing-off": backingOff, suspended, paused, completed, scheduled, inboxed };
}

/** A run of WF that set the state `a` and completed the promise `p` of its key, then ended. */
export function finishedRun(f: ApplyFixture): InvocationId {
  const run = f.invoke(WF).id;
  f.journal(
    run,
    entry("SetStateCommand", { key: bytes("a"), value: { content: bytes("1") } }),
    entry("CompletePromiseCommand", { key: "p", completion: { case: "completionValue", value: { content: bytes("v") } }, resultCompletionId: 1 }),
  );
  f.effect(run, { kind: "end", result: value("x") });
  return run;
}
