// Closed-loop drivers that play ingress and the invoker for W1 and W3, with the service answering at
// once (one event-loop turn): what is measured is the storage path, not HTTP or the SDK.
import { performance } from "node:perf_hooks";
import type { Engine } from "./engine.js";
import { ENTRY, FRAMES, newInvocationId, type Command } from "./model.js";

export interface Counters {
  invocations: number;
  commands: number;
  latenciesMs: number[];
  recording: boolean;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** W1: invoke; the service's run command and the run's completion (one batch); output and end (one batch). */
async function w1Once(engine: Engine, c: Counters, n: number): Promise<void> {
  const id = newInvocationId();
  const p = Math.floor(Math.random() * engine.partitions);
  const t0 = performance.now();
  const now = Date.now();
  await engine.propose(p, { k: "invoke", id, key: "", input: FRAMES.input(n), now });
  await turn();
  await Promise.all([
    engine.propose(p, { k: "journal", id, entries: [{ type: ENTRY.run, frame: FRAMES.run() }], now }),
    engine.propose(p, { k: "journal", id, entries: [{ type: ENTRY.runDone, frame: FRAMES.runDone(n + 1) }], now }),
  ]);
  await turn();
  await Promise.all([
    engine.propose(p, { k: "journal", id, entries: [{ type: ENTRY.output, frame: FRAMES.output(n + 1) }], now }),
    engine.propose(p, { k: "end", id, output: FRAMES.output(n + 1), now }),
  ]);
  count(c, 5, t0);
}

/** Invocations that got their object's lock while nobody waited for them yet. */
class StartSignals {
  readonly #waiting = new Map<string, () => void>();
  readonly #early = new Set<string>();
  started(ids: readonly string[]): void {
    for (const id of ids) {
      const w = this.#waiting.get(id);
      if (w === undefined) this.#early.add(id);
      else {
        this.#waiting.delete(id);
        w();
      }
    }
  }
  wait(id: string): Promise<void> {
    if (this.#early.delete(id)) return Promise.resolve();
    return new Promise((r) => this.#waiting.set(id, r));
  }
}

/** W3: invoke on the hot key (lock or inbox); once it holds the lock, get + set state, output, end. */
async function w3Once(engine: Engine, c: Counters, p: number, signals: StartSignals): Promise<void> {
  const id = newInvocationId();
  const key = `key-${p}`;
  const t0 = performance.now();
  const invoked = await engine.propose(p, { k: "invoke", id, key, input: FRAMES.input(1), now: Date.now() });
  if (!invoked.started.includes(id)) await signals.wait(id);
  await turn();
  const current = engine.model(p).readState(key, "n");
  const next = (current === undefined ? 0 : current.readUInt32BE(8)) + 1;
  const now = Date.now();
  const [, ended] = await Promise.all([
    engine.propose(p, {
      k: "journal",
      id,
      entries: [
        { type: ENTRY.setState, frame: FRAMES.setState(next), state: { key: "n", value: FRAMES.setState(next) } },
        { type: ENTRY.output, frame: FRAMES.output(next) },
      ],
      now,
    }),
    engine.propose(p, { k: "end", id, output: FRAMES.output(next), now }),
  ]);
  signals.started(ended.started);
  count(c, 3, t0);
}

function count(c: Counters, commands: number, t0: number): void {
  if (!c.recording) return;
  c.invocations++;
  c.commands += commands;
  c.latenciesMs.push(performance.now() - t0);
}

export interface Running {
  stop(): Promise<void>;
}

/**
 * Starts `concurrency` loops (W1: any partition; W3: one hot key per partition) and the expiry pass,
 * which proposes the deletes of invocations past their retention, as stet's expiry pass does.
 */
export function startWorkload(engine: Engine, workload: "w1" | "w3", concurrency: number, c: Counters): Running {
  let stopped = false;
  const signals = new StartSignals();
  const loops: Promise<void>[] = [];
  for (let i = 0; i < concurrency; i++) {
    const p = i % engine.partitions;
    loops.push(
      (async () => {
        let n = 0;
        while (!stopped) {
          if (workload === "w1") await w1Once(engine, c, n++);
          else await w3Once(engine, c, p, signals);
        }
      })(),
    );
  }
  const expiry = setInterval(() => {
    for (let p = 0; p < engine.partitions; p++) {
      const ids = engine.model(p).dueForExpiry(Date.now(), 4000);
      if (ids.length === 0) continue;
      const cmd: Command = { k: "expire", ids, now: Date.now() };
      engine.propose(p, cmd).then(
        () => {
          if (c.recording) c.commands++;
        },
        () => {},
      );
    }
  }, 250);
  return {
    async stop() {
      stopped = true;
      clearInterval(expiry);
      await Promise.all(loops);
    },
  };
}
