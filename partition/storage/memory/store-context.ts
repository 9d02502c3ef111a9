import { StoreBusyError } from "./errors.js";

/** The counters that number new rows, as SQLite's AUTOINCREMENT does: each value is the next one handed out. */
export interface Sequences {
  /** Invocation rows (the journal's key, see write-set.ts). */
  readonly invocation: number;
  readonly inbox: number;
  readonly timer: number;
  readonly outbox: number;
  readonly waiter: number;
  readonly stateMutation: number;
}

export type SequenceName = keyof Sequences;

const SEQUENCE_NAMES: readonly SequenceName[] = ["invocation", "inbox", "timer", "outbox", "waiter", "stateMutation"];

/**
 * What every table of one memory store shares: the undo log (every write since the last commit, undone
 * newest first: a command's savepoint is a mark in it), the sequences, the fault switches, and whether a
 * commit is in flight (then nothing may write: its write set must not move under it).
 */
export class StoreContext {
  readonly #undo: Array<() => void> = [];
  readonly #next: Record<SequenceName, number>;
  /** `faults.fillDisk()`: writes that add a row throw. */
  full = false;
  /** `faults.failJournalWrites()`: journal appends throw. */
  journalFails = false;
  committing = false;

  constructor(start: Partial<Sequences> = {}) {
    this.#next = Object.fromEntries(SEQUENCE_NAMES.map((name) => [name, start[name] ?? 1])) as Record<SequenceName, number>;
  }

  /** Called before each write. */
  writing(): void {
    if (this.committing) throw new StoreBusyError("a write");
  }

  /** Records how to undo a write that was just made. */
  onUndo(step: () => void): void {
    this.#undo.push(step);
  }

  /** Hands out the next number of `name`; a rollback hands it out again, as SQLite's does. */
  nextSeq(name: SequenceName): number {
    this.writing();
    const seq = this.#next[name];
    this.#next[name] = seq + 1;
    // Only back to `seq` when nothing moved the counter meanwhile: after `advance`, a rollback must not
    // hand out numbers below the new start again.
    this.onUndo(() => {
      if (this.#next[name] === seq + 1) this.#next[name] = seq;
    });
    return seq;
  }

  /** Moves every counter up to at least `min` (a fresh block of numbers, see postgres/partition-sequences.ts). */
  advance(min: number): void {
    for (const name of SEQUENCE_NAMES) this.#next[name] = Math.max(this.#next[name], min);
  }

  sequences(): Sequences {
    return { ...this.#next };
  }

  /** A savepoint: where `rollbackTo` goes back to. */
  mark(): number {
    return this.#undo.length;
  }

  rollbackTo(mark: number): void {
    while (this.#undo.length > mark) this.#undo.pop()!();
  }

  /** Forgets the undo log: its writes were committed. */
  committed(): void {
    this.#undo.length = 0;
  }
}
