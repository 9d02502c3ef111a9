import type { JournalEntry } from "../../types.js";
import { StorageConstraintError, StorageFullError, StorageIoError } from "./errors.js";
import { copyBytes } from "./row-keys.js";
import type { StoreContext } from "./store-context.js";
import { toColumns, type JournalImage, type TableChanges } from "./write-set.js";

/** An entry's fixed cost in the size estimate, beside its frame. */
const ENTRY_BYTES = 48;

/**
 * Every invocation's journal, by the invocation's `seq`: an array that only grows, until the invocation
 * is deleted. Journals are not RowMaps: one row per entry would cost a map entry per entry, and the
 * write set of a journal is simply what was appended since the last commit (or its deletion).
 */
export class MemoryJournals {
  readonly #journals = new Map<number, JournalEntry[]>();
  /** Journals changed since the last commit: their length then (undefined: there was none). */
  readonly #lengthAtCommit = new Map<number, number | undefined>();
  #bytes = 0;

  constructor(private readonly context: StoreContext) {}

  get bytes(): number {
    return this.#bytes;
  }

  length(seq: number): number {
    return this.#journals.get(seq)?.length ?? 0;
  }

  /** Entries from index `from` on (the stored objects: callers read, never change them). */
  read(seq: number, from: number): JournalEntry[] {
    return this.#journals.get(seq)?.slice(Math.max(0, from)) ?? [];
  }

  /** Appends at `startIndex`, which must be the journal's length (as SQLite's key refuses a taken index). */
  append(seq: number, startIndex: number, entries: readonly JournalEntry[]): number {
    this.context.writing();
    if (this.context.journalFails) throw new StorageIoError();
    const journal = this.#journals.get(seq);
    const length = journal?.length ?? 0;
    if (startIndex !== length) {
      throw new StorageConstraintError("journal", `an append at index ${startIndex} to a journal of ${length} entries`);
    }
    if (this.context.full) throw new StorageFullError("journal");
    this.#touch(seq, journal);
    const target = journal ?? [];
    if (journal === undefined) {
      this.#journals.set(seq, target);
      this.context.onUndo(() => this.#journals.delete(seq));
    }
    let added = 0;
    for (const entry of entries) {
      target.push({ type: entry.type, frame: copyBytes(entry.frame) });
      added += ENTRY_BYTES + entry.frame.byteLength;
    }
    this.#bytes += added;
    this.context.onUndo(() => {
      target.length = length;
      this.#bytes -= added;
    });
    return target.length;
  }

  /** Removes the journal (its invocation was deleted). */
  drop(seq: number): void {
    const journal = this.#journals.get(seq);
    if (journal === undefined) return;
    this.context.writing();
    this.#touch(seq, journal);
    const bytes = journalBytes(journal);
    this.#journals.delete(seq);
    this.#bytes -= bytes;
    this.context.onUndo(() => {
      this.#journals.set(seq, journal);
      this.#bytes += bytes;
    });
  }

  /** Puts entries persisted earlier at the end of a journal (a partition's load): no undo, not in the next write set. */
  load(seq: number, entries: readonly JournalEntry[]): void {
    let journal = this.#journals.get(seq);
    if (journal === undefined) this.#journals.set(seq, (journal = []));
    for (const entry of entries) {
      journal.push({ type: entry.type, frame: copyBytes(entry.frame) });
      this.#bytes += ENTRY_BYTES + entry.frame.byteLength;
    }
  }

  /** Forgets a journal without deleting it from the database (its partition is no longer led). */
  forget(seq: number): void {
    const journal = this.#journals.get(seq);
    if (journal === undefined) return;
    this.#journals.delete(seq);
    this.#lengthAtCommit.delete(seq);
    this.#bytes -= journalBytes(journal);
  }

  changes(): TableChanges<JournalImage, "invocationSeq"> {
    const upserts: JournalImage[] = [];
    const deleted: number[] = [];
    for (const [seq, lengthAtCommit] of this.#lengthAtCommit) {
      const journal = this.#journals.get(seq);
      if (journal === undefined) {
        if (lengthAtCommit !== undefined) deleted.push(seq);
        continue;
      }
      for (let idx = lengthAtCommit ?? 0; idx < journal.length; idx++) {
        upserts.push({ invocationSeq: seq, idx, type: journal[idx]!.type, frame: journal[idx]!.frame });
      }
    }
    return { upserts: toColumns(["invocationSeq", "idx", "type", "frame"], upserts), deletes: { invocationSeq: deleted } };
  }

  committed(): void {
    this.#lengthAtCommit.clear();
  }

  /** Journals of no invocation in `live` (seqs), and a size estimate that does not add up. */
  verify(live: ReadonlySet<number>): string[] {
    const problems: string[] = [];
    let bytes = 0;
    for (const [seq, journal] of this.#journals) {
      bytes += journalBytes(journal);
      if (!live.has(seq)) problems.push(`journal: invocation seq ${seq} has a journal but no row`);
    }
    if (bytes !== this.#bytes) problems.push(`journal: size estimate ${this.#bytes}, entries add up to ${bytes}`);
    return problems;
  }

  #touch(seq: number, journal: JournalEntry[] | undefined): void {
    if (this.#lengthAtCommit.has(seq)) return;
    this.#lengthAtCommit.set(seq, journal?.length);
    this.context.onUndo(() => this.#lengthAtCommit.delete(seq));
  }
}

function journalBytes(journal: readonly JournalEntry[]): number {
  let bytes = 0;
  for (const entry of journal) bytes += ENTRY_BYTES + entry.frame.byteLength;
  return bytes;
}
