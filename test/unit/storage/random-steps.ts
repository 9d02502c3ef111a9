import fc from "fast-check";
import type { InvocationStatus, PartitionId, PartitionStore } from "../../../partition/index.js";
import type { InvocationId } from "../../../protocol/index.js";
import { bytes, entry, FENCE, newRow, T0 } from "./contract-helpers.js";

/**
 * Random work for a partition store: batches of commands of steps over a few invocations, objects and
 * partitions, each step one call of a table (partition-store-differential.test.ts, memory-write-set-replay.test.ts).
 */

const STATUSES: readonly InvocationStatus[] = ["invoked", "suspended", "paused", "backing-off", "completed"];
export const KEYS = ["k0", "k1", "k2"];
export const PARTITIONS = [0, 1] as PartitionId[];
/** One step of a command: what it does, and small numbers that say with what. */
export type Step = readonly [kind: number, a: number, b: number, c: number];
export interface Command {
  readonly steps: readonly Step[];
  readonly throws: boolean;
}

const step = fc.tuple(fc.nat(29), fc.nat(7), fc.nat(7), fc.nat(7));
// One command in five throws at its end (besides those whose steps throw).
const command = fc.record({ steps: fc.array(step, { minLength: 1, maxLength: 8 }), throws: fc.nat(4).map((n) => n === 0) });
/** Up to 40 batches of up to 5 commands of up to 8 steps. */
export const batches = fc.array(fc.array(command, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 40 });

/** Runs one step on `store`; what it returns is compared between the stores. */
export function run(store: PartitionStore, ids: readonly InvocationId[], [kind, a, b, c]: Step): unknown {
  // Four invocations to act on, so that steps meet the same rows often; callers may be any of eight.
  const id = ids[a % 4]!;
  const key = KEYS[b % KEYS.length]!;
  const p = PARTITIONS[c % 2]!;
  const at = T0 + c * 10;
  const inv = store.invocations;
  // A write a key refuses (a second row, a taken lock) fails its whole command: one try in eight does.
  const refusedUnlessRare = (exists: boolean) => exists && c !== 0;
  switch (kind) {
    case 0:
    case 1:
      if (refusedUnlessRare(inv.get(id) !== undefined)) return "exists";
      return inv.insert(newRow({ id, partition: p, now: at, retentionMs: b % 2 === 0 ? 100 : null, caller: c < 3 ? { id: ids[b]!, completionId: c } : null }));
    case 2:
    case 3: {
      // Now and then at a taken index (SQLite's key refuses it; a gap it would take, the memory store not).
      if (refusedUnlessRare(inv.get(id) === undefined)) return "missing";
      const length = inv.get(id)?.journalLength ?? 0;
      return inv.append(id, c === 7 && length > 0 ? length - 1 : length, [entry(b), entry(c, 2)].slice(0, 1 + (b % 2)), at);
    }
    case 4:
      return inv.setStatus(id, STATUSES[b % STATUSES.length]!, at);
    case 5:
      return inv.suspend(id, c % 2 === 0 ? null : { completions: [b], signals: [], names: [key] }, at);
    case 6:
      return [inv.setHoldsLock(id, b % 2 === 0, at), inv.pin(id, { deploymentId: `dp_${c}`, protocolVersion: 5 + (c % 3) })];
    case 7:
      return inv.recordFailure(id, `failure ${b}`, STATUSES[c % 4]!, at);
    case 8:
      return inv.complete(id, b % 2 === 0 ? { kind: "value", value: bytes(key) } : { kind: "failure", code: 400 + c, message: key }, at);
    case 9:
      return inv.delete(id);
    case 10:
      return store.state.set("O", key, Buffer.from([c % 3, b % 2]), bytes(`v${a}`));
    case 11:
      return c % 3 === 0 ? store.state.clearAll("O", key) : store.state.clear("O", key, Buffer.from([c % 3, b % 2]));
    case 12:
      if (refusedUnlessRare(store.locks.holder("O", key) !== undefined)) return "held";
      return store.locks.take("O", key, id);
    case 13:
      return store.locks.release("O", key, id);
    case 14:
    case 15:
      return store.locks.enqueue("O", key, id);
    case 16:
      return store.locks.dequeue("O", key);
    case 17:
      return store.locks.removeFromInbox(id);
    case 18:
      return store.timers.add(p, at + b, id, b % 2 === 0 ? "sleep" : "start", b % 2 === 0 ? c : null);
    case 19: {
      const due = store.timers.due(p, T0 + 200, 100);
      return due.length === 0 ? null : store.timers.delete(due[b % due.length]!.seq);
    }
    case 20:
      return store.timers.deleteFor(id);
    case 21:
      return store.outbox.add(p, c, `m${a}`);
    case 22: {
      const pending = store.outbox.pending(p);
      return store.outbox.take(pending.length === 0 ? b : pending[b % pending.length]!.seq);
    }
    case 23:
      if (refusedUnlessRare(store.idempotency.get("S", key, "h", `i${c % 3}`) !== undefined)) return "exists";
      return [store.idempotency.put("S", key, "h", `i${c % 3}`, id), store.idempotency.get("S", key, "h", `i${(c + 1) % 3}`)];
    case 24:
      if (c % 2 === 1) return store.idempotency.deleteFor(id);
      if (refusedUnlessRare(store.idempotency.workflowRun("W", key) !== undefined)) return "exists";
      return store.idempotency.putWorkflowRun("W", key, id);
    case 25:
      if (refusedUnlessRare(store.promises.get("W", key, `p${c % 3}`) !== undefined)) return "exists";
      return store.promises.put("W", key, `p${c % 3}`, c % 2 === 0 ? { kind: "value", value: bytes(`${a}`) } : { kind: "failure", code: 500, message: `${a}` });
    case 26:
      return [store.promises.clearAll("W", key), store.promises.get("W", key, `p${c % 3}`)];
    case 27:
      return store.waiters.add(c % 2 === 0 ? "outcome" : "promise", key, { waiterId: id, completionId: b, notificationType: c });
    case 28:
      return store.waiters.take(c % 2 === 0 ? "outcome" : "promise", key);
    default:
      return c % 2 === 0
        ? store.stateMutations.add({ service: "O", key, expectedVersion: b % 2 === 0 ? null : `v${b}`, entries: [[bytes(key), bytes(`${a}`)]] })
        : store.stateMutations.take(`state-mutation:${b}`);
  }
}

/** Everything the store holds that a read can reach without changing it. */
export function holdings(store: PartitionStore, ids: readonly InvocationId[]): unknown {
  return {
    invocations: ids.map((id) => [store.invocations.get(id), store.invocations.readJournal(id), store.invocations.listLiveChildren(id)]),
    lists: PARTITIONS.map((p) => [
      store.invocations.listUnfinished(p).map((r) => r.id),
      store.invocations.listExpired(p, T0 + 1_000, 100).sort(),
      store.invocations.listExpired(p, T0 + 1_000, 2).length,
      store.timers.due(p, T0 + 1_000, 100),
      store.timers.earliest(p),
      store.outbox.pending(p),
    ]),
    timers: store.timers.count(),
    objects: KEYS.map((key) => [
      store.state.all("O", key),
      store.locks.holder("O", key),
      store.idempotency.workflowRun("W", key),
      ["i0", "i1", "i2"].map((i) => store.idempotency.get("S", key, "h", i)),
      ["p0", "p1", "p2"].map((name) => store.promises.get("W", key, name)),
    ]),
  };
}

/**
 * Values as plain data: bytes as hex (SQLite hands back Buffers, and an empty blob as a Uint8Array), and
 * without `modifiedAt`, which SQLite's file leaves behind on an append where its in-memory row (and the
 * memory store) moves it on: after a rollback SQLite reads the file again.
 */
export function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString("hex")}`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "modifiedAt").map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** Applies the batches, logging each step's answer, or the step it threw at; `committed` runs after each commit. */
export async function play(
  store: PartitionStore,
  ids: readonly InvocationId[],
  plan: readonly (readonly Command[])[],
  committed: () => void = () => undefined,
): Promise<unknown[]> {
  const log: unknown[] = [];
  for (const commands of plan) {
    const batch = store.begin();
    for (const { steps, throws } of commands) {
      try {
        batch.command(FENCE, () => {
          for (const s of steps) log.push(plain(run(store, ids, s)));
          if (throws) throw new Error("the command fails at its end");
        });
      } catch (error) {
        log.push(`threw: ${(error as Error).message === "the command fails at its end" ? "at its end" : "in a step"}`);
      }
    }
    await batch.commit();
    committed();
    log.push(plain(holdings(store, ids)));
  }
  return log;
}
